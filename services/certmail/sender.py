"""Is a letter really from its From: address? The manual wants the letter «с доверенного адреса»; From: alone is
whatever the sender typed, so an address counts only when the sender is authenticated:

- the envelope sender (SMTP MAIL FROM) is the From: address, and there is exactly one From: header; and
- a valid DKIM signature of the From: domain (or of a parent domain) signs it — no l= tag, From: signed — or
- an Authentication-Results header of a trusted MTA (its authserv-id in MAIL_TRUSTED_AUTHSERV_IDS, the letter
  handed in from one of MAIL_TRUSTED_MTA_ADDRESSES) says dmarc=pass for the From: domain or an aligned dkim=pass.

Plain functions: the DNS lookup is passed in (services/certmail/dkimdns.py)."""

import hashlib
import ipaddress
import logging
import re
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import Message
from email.parser import BytesHeaderParser

import authres
import authres.dmarc  # noqa: F401 (registers the dmarc method with authres)
import dkim
from dkim.util import parse_tag_value

from services.certmail.dkimdns import Lookup
from shared.config import Settings

Tags = dict[bytes, bytes]  # the tags of one DKIM-Signature header
MAX_SIGNATURES = 3  # aligned DKIM signatures verified at most (each may cost a DNS lookup)

# Verdict reasons (the letter journal's detail when the sender is not authenticated).
DKIM_PASS = "dkim_pass"
AUTHRES_DMARC = "authres_dmarc_pass"
AUTHRES_DKIM = "authres_dkim_pass"
NO_SENDER = "no_sender"  # no single From: address
SEVERAL_FROM = "several_from_headers"
ENVELOPE_MISMATCH = "envelope_mismatch"
NO_SIGNATURE = "no_dkim_signature"
NOT_ALIGNED = "dkim_not_aligned"  # signed, but by another domain
BODY_HASH = "dkim_body_hash_mismatch"  # the body was changed after signing
BAD_SIGNATURE = "dkim_invalid"
NO_KEY = "dkim_no_key"
LENGTH_TAG = "dkim_length_tag"  # l= lets anyone append to a signed body
FROM_NOT_SIGNED = "dkim_from_not_signed"
REPLAYED = "replayed"  # set by the handler: the signature already authenticated another letter
CHECK_FAILED = "check_failed"  # a defect while checking (treated as not authenticated)

_quiet = logging.getLogger("services.certmail.sender.dkimpy")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False  # dkimpy logs key material and header values; our one line says the outcome


class DnsUnavailable(Exception):
    """DNS did not answer: nothing is decided, the letter is tried again later."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    domain: str | None = None  # the authenticated domain (DKIM d= or the From: domain)
    signature_key: str | None = None  # identifies the DKIM signature that authenticated it (replay detection)


@dataclass(frozen=True)
class Policy:
    authserv_ids: frozenset = frozenset()
    mta_networks: tuple = field(default_factory=tuple)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policy":
        ids = frozenset(i.strip().lower() for i in settings.mail_trusted_authserv_ids.split(",") if i.strip())
        networks = tuple(
            ipaddress.ip_network(a.strip(), strict=False)
            for a in settings.mail_trusted_mta_addresses.split(",")
            if a.strip()
        )
        return cls(ids, networks)

    def trusts_peer(self, peer: object) -> bool:
        if not (self.authserv_ids and self.mta_networks and peer):
            return False
        try:
            address = ipaddress.ip_address(str(peer))
        except ValueError:
            return False
        return any(address in network for network in self.mta_networks)


def aligned(signing_domain: str | None, from_domain: str | None) -> bool:
    """DKIM d= aligned with the From: domain: the same domain or a parent of it (with at least two labels)."""
    d = (signing_domain or "").strip().rstrip(".").lower()
    f = (from_domain or "").strip().rstrip(".").lower()
    return "." in d and (f == d or f.endswith("." + d))


def envelope_address(value: str | None) -> str | None:
    """The SMTP MAIL FROM address, lower case; None for the null sender <> or nothing."""
    value = (value or "").strip().strip("<>").strip().lower()
    return value or None


def signature_key(tags: Tags) -> str:
    """A stable key of one DKIM signature: its domain and b= value."""
    b = re.sub(rb"\s+", b"", tags.get(b"b", b""))
    return "s-" + hashlib.sha256(tags.get(b"d", b"").lower() + b"|" + b).hexdigest()


def _signatures(verifier: dkim.DKIM) -> list[tuple[int, Tags]]:
    """(index among DKIM-Signature headers, tags) of each parseable signature, as dkimpy itself sees the headers
    (its index is the one verify() takes; another parser may split headers differently)."""
    found: list[tuple[int, Tags]] = []
    values = [value for name, value in verifier.headers if name.lower() == b"dkim-signature"]
    for index, value in enumerate(values):
        try:
            found.append((index, parse_tag_value(value)))
        except Exception:  # a malformed signature counts as none
            continue
    return found


def _from_count(verifier: dkim.DKIM) -> int:
    return sum(1 for name, _ in verifier.headers if name.lower() == b"from")


def _domain(tags: Tags) -> str:
    return tags.get(b"d", b"").decode("ascii", "replace")


def _signed_headers(tags: Tags) -> set[bytes]:
    return {h.strip().lower() for h in tags.get(b"h", b"").split(b":")}


class _Lookup:
    """Wraps the DNS lookup to tell a missing key from DNS not answering (dkimpy reports both as False)."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup, self.unavailable, self.missing = lookup, False, False

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        try:
            value = self.lookup(name, timeout=timeout)
        except Exception as exc:
            self.unavailable = True
            raise dkim.DnsTimeoutError(type(exc).__name__) from None
        if value is None:
            self.missing = True
        return value


def check_dkim(verifier: dkim.DKIM, from_domain: str, signatures: list[tuple[int, Tags]], lookup: Lookup) -> Verdict:
    """A Verdict from the letter's own DKIM signatures aligned with the From: domain (verifier: dkim.DKIM)."""
    if not signatures:
        return Verdict(False, NO_SIGNATURE)
    candidates = [(i, tags) for i, tags in signatures if aligned(_domain(tags), from_domain)]
    if not candidates:
        return Verdict(False, NOT_ALIGNED)
    reason = BAD_SIGNATURE
    for index, tags in candidates[:MAX_SIGNATURES]:
        if b"l" in tags:
            reason = LENGTH_TAG
            continue
        if b"from" not in _signed_headers(tags):
            reason = FROM_NOT_SIGNED
            continue
        probe = _Lookup(lookup)
        try:
            valid = verifier.verify(index, dnsfunc=probe)
        except dkim.ValidationError as exc:
            reason = BODY_HASH if "body hash" in str(exc) else BAD_SIGNATURE
            continue
        except Exception:  # DKIMException and whatever a hostile header provokes
            reason = BAD_SIGNATURE
            continue
        if probe.unavailable:
            raise DnsUnavailable()
        if valid and verifier.signature_fields.get(b"b") == tags.get(b"b"):  # the very signature checked above
            return Verdict(True, DKIM_PASS, _domain(tags).lower(), signature_key(tags))
        reason = NO_KEY if probe.missing else BAD_SIGNATURE
    return Verdict(False, reason)


def _unfold(value: object) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", str(value))


def check_authentication_results(
    headers: Message, from_domain: str, policy: Policy, signatures: list[tuple[int, Tags]]
) -> Verdict | None:
    """A passing Verdict from a trusted MTA's Authentication-Results header, or None."""
    for value in headers.get_all("Authentication-Results") or []:
        try:
            parsed = authres.AuthenticationResultsHeader.parse_value(_unfold(value))
        except Exception:
            continue
        if (parsed.authserv_id or "").lower() not in policy.authserv_ids:
            continue
        for result in parsed.results:
            props = {(p.type, p.name): str(p.value or "") for p in result.properties}
            if str(result.result).lower() != "pass":
                continue
            method = str(result.method).lower()
            if method == "dmarc" and props.get(("header", "from"), "").lower() == from_domain:
                return Verdict(True, AUTHRES_DMARC, from_domain, _matching_key(signatures, from_domain, ""))
            if method == "dkim" and aligned(props.get(("header", "d")), from_domain):
                d = props[("header", "d")].lower()
                return Verdict(True, AUTHRES_DKIM, d, _matching_key(signatures, d, props.get(("header", "b"), "")))
    return None


def _matching_key(signatures: list[tuple[int, Tags]], domain: str, b_prefix: str) -> str | None:
    """The key of the letter's DKIM signature the MTA checked (aligned, starting with header.b), if present."""
    for _, tags in signatures:
        b = re.sub(rb"\s+", b"", tags.get(b"b", b"")).decode("ascii", "replace")
        if aligned(_domain(tags), domain) and b.startswith(b_prefix):
            return signature_key(tags)
    return None


def authenticate(
    raw: bytes, sender: str | None, envelope_from: str | None, peer: object, policy: Policy, lookup: Lookup
) -> Verdict:
    """The Verdict for a letter whose From: address parsed as `sender` (services/certmail/letters.py).
    Raises DnsUnavailable when a key could not be looked up for want of DNS."""
    if not sender or "@" not in sender:
        return Verdict(False, NO_SENDER)
    headers = BytesHeaderParser(policy=email_policy.compat32).parsebytes(raw)
    try:
        verifier = dkim.DKIM(raw, logger=_quiet, minkey=1024)
    except Exception:  # dkimpy refuses header lines it cannot split: nothing it could verify
        return Verdict(False, BAD_SIGNATURE)
    if len(headers.get_all("From") or []) != 1 or _from_count(verifier) != 1:  # both parsers see one From:
        return Verdict(False, SEVERAL_FROM)
    if envelope_address(envelope_from) != sender.lower():
        return Verdict(False, ENVELOPE_MISMATCH)
    from_domain = sender.rsplit("@", 1)[1].lower()
    signatures = _signatures(verifier)
    if policy.trusts_peer(peer):
        verdict = check_authentication_results(headers, from_domain, policy, signatures)
        if verdict:
            return verdict
    return check_dkim(verifier, from_domain, signatures, lookup)
