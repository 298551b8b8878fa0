"""The sender rule (services/certmail/sender.py): a From: address counts only when the sender is authenticated —
an aligned DKIM signature or a trusted MTA's Authentication-Results, and the envelope sender equal to From:."""

from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import dkim
import pytest

from services.certmail import dkimdns
from services.certmail import sender as S
from services.certmail.letters import parse

ATTACKER_KEY = (Path(__file__).resolve().parents[1] / "keys" / "dkim-attacker.pem").read_bytes()
DEV_KEY = Path(dkimdns.DEV_KEY).read_bytes()
VICTIM = "petr@mo.example.test"
RECORDS = {
    "ozsp-dev._domainkey.mo.example.test": dkimdns.txt_record(DEV_KEY).encode(),
    "evil._domainkey.attacker.example.test": dkimdns.txt_record(ATTACKER_KEY).encode(),
}
NO_TRUST = S.Policy()
MTA = S.Policy(frozenset({"mx.ozsp.test"}), (__import__("ipaddress").ip_network("10.0.0.0/24"),))


def lookup(name, timeout=5):
    name = name.decode() if isinstance(name, bytes) else name
    return RECORDS.get(name.rstrip("."))


def raw_letter(sender=VICTIM, body="Сертификат во вложении.", extra_headers=()):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "reestrin@ozsp.test"
    msg["Subject"] = "ADD_CERT"
    msg["Message-ID"] = "<1@mo.example.test>"
    for name, value in extra_headers:
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def verdict(raw, envelope=VICTIM, peer="127.0.0.1", policy=NO_TRUST, dns=lookup):
    return S.authenticate(raw, parse(raw).sender, envelope, peer, policy, dns)


def test_a_letter_signed_by_the_from_domain_is_authenticated():
    v = verdict(dkimdns.sign(raw_letter()))
    assert v.ok and v.reason == S.DKIM_PASS and v.domain == "mo.example.test" and v.signature_key.startswith("s-")


def test_a_forged_from_without_a_signature_is_not():
    assert verdict(raw_letter()) == S.Verdict(False, S.NO_SIGNATURE)


def test_a_signature_of_another_domain_is_not_aligned():
    raw = dkimdns.sign(raw_letter(), ATTACKER_KEY, "evil", "attacker.example.test")
    assert verdict(raw).reason == S.NOT_ALIGNED


def test_a_body_changed_after_signing_breaks_the_body_hash():
    raw = dkimdns.sign(raw_letter())
    assert verdict(raw.replace("вложении".encode(), "приложении".encode())).reason == S.BODY_HASH


def test_a_header_changed_after_signing_breaks_the_signature():
    raw = dkimdns.sign(raw_letter())
    assert verdict(raw.replace(b"Subject: ADD_CERT", b"Subject: ADD_CERT ")).ok  # relaxed: spaces do not count
    assert verdict(raw.replace(b"<1@mo.example.test>", b"<2@mo.example.test>")).reason == S.BAD_SIGNATURE


def test_the_attackers_key_published_under_the_victims_domain_name_would_be_needed():
    raw = dkimdns.sign(raw_letter(), ATTACKER_KEY, "ozsp-dev", "mo.example.test")  # own key, victim's selector
    assert verdict(raw).reason == S.BAD_SIGNATURE


def test_a_selector_without_a_key_is_refused():
    raw = dkimdns.sign(raw_letter(), DEV_KEY, "absent", "mo.example.test")
    assert verdict(raw).reason == S.NO_KEY


def test_the_envelope_sender_must_be_the_from_address():
    raw = dkimdns.sign(raw_letter())
    assert verdict(raw, envelope="attacker@attacker.example.test").reason == S.ENVELOPE_MISMATCH
    assert verdict(raw, envelope="").reason == S.ENVELOPE_MISMATCH  # the null sender <>
    assert verdict(raw, envelope="<PETR@MO.EXAMPLE.TEST>").ok  # case and angle brackets do not matter


def test_a_second_from_header_is_refused():
    raw = dkimdns.sign(raw_letter())
    head, body = raw.split(b"\r\n\r\n", 1)
    assert verdict(head + b"\r\nFrom: attacker@attacker.example.test\r\n\r\n" + body).reason == S.SEVERAL_FROM


@pytest.mark.parametrize(
    "injected, sender, reason",
    [
        # a bare CR ends a header for Python's parser, not for dkimpy's: Python reads the victim's From: first
        (b"X-Note: a\rFrom: petr@mo.example.test\r\n", VICTIM, S.SEVERAL_FROM),
        # a signature only Python's parser sees is never the one verified: the attacker stays himself
        (
            b"X-Note: a\rDKIM-Signature: v=1; d=mo.example.test; s=ozsp-dev; h=from; b=AAAA; bh=AAAA\r\n",
            "mallory@attacker.example.test",
            S.DKIM_PASS,
        ),
    ],
)
def test_headers_that_parsers_split_differently_do_not_lend_the_victims_address(injected, sender, reason):
    raw = dkimdns.sign(
        raw_letter(sender="mallory@attacker.example.test"), ATTACKER_KEY, "evil", "attacker.example.test"
    )
    changed = injected + raw
    assert parse(changed).sender == sender
    v = S.authenticate(changed, sender, sender, "127.0.0.1", NO_TRUST, lookup)
    assert v.reason == reason and (not v.ok or v.domain == "attacker.example.test")


def test_a_body_length_tag_is_refused():
    raw = raw_letter()
    raw = (
        dkim.sign(raw, b"ozsp-dev", b"mo.example.test", DEV_KEY, include_headers=[b"from", b"subject"], length=True)
        + raw
    )
    assert verdict(raw).reason == S.LENGTH_TAG


def test_a_signature_that_leaves_from_unsigned_is_refused():
    raw = raw_letter()
    # dkimpy will not sign without From:, so the h= tag is rewritten (the signature is then invalid anyway)
    signed = dkim.sign(raw, b"ozsp-dev", b"mo.example.test", DEV_KEY, include_headers=[b"from", b"subject"]) + raw
    assert b"h=from :\r\n subject;" in signed
    assert verdict(signed.replace(b"h=from :\r\n subject;", b"h=subject;")).reason == S.FROM_NOT_SIGNED


def test_a_parent_domain_signature_is_aligned_but_not_a_sibling_or_a_bare_suffix():
    assert S.aligned("example.test", "mo.example.test") and S.aligned("MO.example.test.", "mo.example.test")
    assert not S.aligned("other.example.test", "mo.example.test") and not S.aligned("test", "mo.example.test")
    assert not S.aligned("xmo.example.test", "mo.example.test") and not S.aligned("", "mo.example.test")


def test_no_single_from_address():
    assert verdict(raw_letter(sender="a@x.test, b@y.test")).reason == S.NO_SENDER


def test_dns_not_answering_is_a_temporary_failure():
    def down(name, timeout=5):
        raise dkim.DnsTimeoutError("timeout")

    with pytest.raises(S.DnsUnavailable):
        verdict(dkimdns.sign(raw_letter()), dns=down)


def test_hostile_signature_headers_do_not_raise():
    for bad in (
        "v=1; a=rsa-sha256; d=mo.example.test; s=ozsp-dev; b=!!!; bh=x; h=from",
        "garbage",
        ";;;=",
        "v=1; d=mo.example.test; s=ozsp-dev; h=from; b=AAAA; bh=AAAA; a=rsa-sha256; x=1",
    ):
        raw = raw_letter(extra_headers=[("DKIM-Signature", bad)])
        assert not verdict(raw).ok


def test_only_aligned_signatures_cost_a_lookup_and_at_most_three():
    asked = []

    def counting(name, timeout=5):
        asked.append(name)
        return lookup(name)

    raw = raw_letter()
    for i in range(5):
        raw = dkimdns.sign(raw, DEV_KEY, f"absent{i}", "mo.example.test")
    raw = dkimdns.sign(raw, ATTACKER_KEY, "evil", "attacker.example.test")
    assert verdict(raw, dns=counting).reason == S.NO_KEY and len(asked) == S.MAX_SIGNATURES


# --- Authentication-Results of a trusted MTA ------------------------------------------------------------------


def with_ar(value, raw=None):
    return b"Authentication-Results: " + value.encode() + b"\r\n" + (raw or raw_letter())


@pytest.mark.parametrize(
    "header, reason",
    [
        ("mx.ozsp.test; dmarc=pass header.from=mo.example.test", S.AUTHRES_DMARC),
        ("mx.ozsp.test; dkim=pass header.d=mo.example.test header.b=abcd", S.AUTHRES_DKIM),
        ("MX.OZSP.TEST 1; spf=pass smtp.mailfrom=mo.example.test;\r\n dkim=pass header.d=example.test", S.AUTHRES_DKIM),
    ],
)
def test_a_trusted_mta_that_passed_the_letter_authenticates_it(header, reason):
    v = verdict(with_ar(header), peer="10.0.0.7", policy=MTA)
    assert v.ok and v.reason == reason


@pytest.mark.parametrize(
    "header, peer",
    [
        ("mx.ozsp.test; dmarc=pass header.from=mo.example.test", "127.0.0.1"),  # not handed in by the MTA
        ("mx.attacker.test; dmarc=pass header.from=mo.example.test", "10.0.0.7"),  # another authserv-id
        ("mx.ozsp.test; dmarc=pass header.from=attacker.example.test", "10.0.0.7"),  # another domain
        ("mx.ozsp.test; dkim=pass header.d=attacker.example.test", "10.0.0.7"),  # not aligned
        ("mx.ozsp.test; dmarc=fail header.from=mo.example.test; dkim=fail header.d=mo.example.test", "10.0.0.7"),
        ("mx.ozsp.test; spf=pass smtp.mailfrom=petr@mo.example.test", "10.0.0.7"),  # SPF alone is not DMARC
        ("mx.ozsp.test; ((( broken", "10.0.0.7"),
    ],
)
def test_other_authentication_results_count_for_nothing(header, peer):
    assert verdict(with_ar(header), peer=peer, policy=MTA).reason == S.NO_SIGNATURE


def test_authentication_results_are_ignored_without_a_configured_mta():
    header = "mx.ozsp.test; dmarc=pass header.from=mo.example.test"
    only_ids = S.Policy(frozenset({"mx.ozsp.test"}), ())
    assert not verdict(with_ar(header), peer="10.0.0.7", policy=only_ids).ok


def test_the_mta_path_still_needs_the_envelope_sender():
    header = "mx.ozsp.test; dmarc=pass header.from=mo.example.test"
    assert (
        verdict(with_ar(header), envelope="x@attacker.example.test", peer="10.0.0.7", policy=MTA).reason
        == S.ENVELOPE_MISMATCH
    )


def test_the_mta_path_keys_the_checked_signature_for_replay_detection():
    signed = dkimdns.sign(raw_letter())
    own = verdict(signed)
    via_mta = verdict(with_ar("mx.ozsp.test; dkim=pass header.d=mo.example.test", signed), peer="10.0.0.7", policy=MTA)
    assert via_mta.ok and via_mta.signature_key == own.signature_key


def test_policy_from_settings():
    settings = SimpleNamespace(mail_trusted_authserv_ids=" MX.ozsp.test , ", mail_trusted_mta_addresses="10.1.2.3, ::1")
    policy = S.Policy.from_settings(settings)
    assert policy.authserv_ids == {"mx.ozsp.test"}
    assert policy.trusts_peer("10.1.2.3") and policy.trusts_peer("::1") and not policy.trusts_peer("10.1.2.4")
    assert not policy.trusts_peer(None) and not policy.trusts_peer("not an address")


# --- the DNS of dev mode --------------------------------------------------------------------------------------


def test_the_dev_dns_file_publishes_the_dev_key():
    records = dkimdns.read_records(dkimdns.DEV_DNS_FILE)
    assert records == {f"{dkimdns.DEV_SELECTOR}._domainkey.{dkimdns.DEV_DOMAIN}": dkimdns.txt_record(DEV_KEY).encode()}
    lookup_ = dkimdns.file_lookup(dkimdns.DEV_DNS_FILE)
    assert lookup_(b"ozsp-dev._domainkey.MO.example.test.") == records["ozsp-dev._domainkey.mo.example.test"]
    assert lookup_(b"other._domainkey.mo.example.test.") is None


def test_the_dns_file_is_read_only_in_dev_mode():
    from shared import config

    dev = config.load({"OZSP_MODE": "dev", "DKIM_DNS_FILE": dkimdns.DEV_DNS_FILE})
    production = config.load({"OZSP_MODE": "production", "DKIM_DNS_FILE": dkimdns.DEV_DNS_FILE})
    assert dkimdns.lookup_for(dev)(b"ozsp-dev._domainkey.mo.example.test.")
    assert dkimdns.lookup_for(production) is dkim.dnsplug.get_txt
    assert dkimdns.lookup_for(config.load({"OZSP_MODE": "dev"})) is dkim.dnsplug.get_txt
