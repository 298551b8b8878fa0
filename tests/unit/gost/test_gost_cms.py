import base64
from datetime import datetime, timedelta

import pytest

from shared.gost import TrustStore, errors, verify_certificate, verify_signed_challenge
from shared.gost.der import to_pem
from shared.gost.testpki import TestPki

from .gost_world import CHALLENGE, NOW


def sign(user, challenge=CHALLENGE, **kw):
    kw.setdefault("signing_time", NOW)
    return user.sign_challenge(challenge, **kw)


def verify(p7s, store, challenge=CHALLENGE, **kw):
    kw.setdefault("now", NOW)
    return verify_signed_challenge(p7s, challenge, store, **kw)


def refused(exc_class, reason, fn, *args, **kw):
    with pytest.raises(exc_class) as info:
        fn(*args, **kw)
    assert info.value.reason == reason
    return info.value


# --- accepted ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["user", "user_xa", "user_tc26a", "user512", "user512c"])
@pytest.mark.parametrize("detached", [True, False])
def test_accepts_all_key_kinds(world, store, who, detached):
    user = getattr(world, who)
    signer = verify(sign(user, detached=detached), store)
    assert signer.certificate == user.cert
    assert signer.serial == user.cert.serial
    assert signer.snils == user.cert.snils
    assert signer.signing_time == NOW
    assert signer.chain == (user.cert, world.ca.cert)


def test_signer_info(world, store):
    info = verify(sign(world.user), store).info()
    assert info["cn"] == "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"
    assert info["snils"] == "11223344595"
    assert info["inn"] == "500000000029"
    assert info["thumbprint"] == world.user.cert.thumbprint
    assert info["signing_time"] == NOW
    assert info["key_bits"] == 256


def test_accepts_base64_with_crlf_and_pem(world, store):
    p7 = sign(world.user)
    b64 = base64.b64encode(p7).decode()
    wrapped = "\r\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
    assert verify(wrapped, store).serial == world.user.cert.serial
    assert verify(wrapped.encode(), store).serial == world.user.cert.serial
    assert verify(to_pem(p7, "CMS"), store).serial == world.user.cert.serial


def test_accepts_plain_ca_list_and_str_challenge(world):
    p7 = sign(world.user)
    signer = verify_signed_challenge(p7, CHALLENGE.decode(), [world.ca.cert.der], [world.crl.der], now=NOW)
    assert signer.serial == world.user.cert.serial


def test_signing_certificate_v2_is_optional(world, store):
    verify(sign(world.user, signing_cert_v2=False), store)


def test_signing_time_within_skew(world, store):
    p7 = sign(world.user, signing_time=NOW - timedelta(minutes=9))
    verify(p7, store)
    verify(p7, store, now=NOW - timedelta(minutes=3), max_clock_skew=timedelta(minutes=7))


# --- refused: signature and content ----------------------------------------------


@pytest.mark.parametrize("who", ["user", "user512"])
def test_bad_signature(world, store, who):
    p7 = bytearray(sign(getattr(world, who)))
    p7[-1] ^= 0x01  # the signature is the last field of the last SignerInfo
    refused(errors.BadSignature, "bad_signature", verify, bytes(p7), store)


def test_tampered_signed_attributes(world, store):
    p7 = sign(world.user)
    stamp = NOW.strftime("%y%m%d%H%M%SZ").encode()
    later = (NOW + timedelta(seconds=1)).strftime("%y%m%d%H%M%SZ").encode()
    assert p7.count(stamp) == 1
    refused(errors.BadSignature, "bad_signature", verify, p7.replace(stamp, later), store)


def test_other_challenge_is_digest_mismatch(world, store):
    p7 = sign(world.user)
    refused(errors.DigestMismatch, "digest_mismatch", verify, p7, store, challenge=b"ozsp-login-000000000000000000000")


def test_utf16_challenge_is_digest_mismatch(world, store):
    # the plug-in's default encoding (STRING_TO_UCS2LE) signs UTF-16LE
    p7 = sign(world.user, CHALLENGE.decode().encode("utf-16-le"))
    refused(errors.DigestMismatch, "digest_mismatch", verify, p7, store)


def test_wrong_message_digest_attribute(world, store):
    p7 = sign(world.user, message_digest=b"\x00" * 32)
    refused(errors.DigestMismatch, "digest_mismatch", verify, p7, store)


def test_tampered_attached_content(world, store):
    p7 = sign(world.user, detached=False)
    forged = b"ozsp-login-ffffffffffffffffffff"
    assert len(forged) == len(CHALLENGE)
    tampered = p7.replace(CHALLENGE, forged)
    refused(errors.ContentMismatch, "content_mismatch", verify, tampered, store)
    # claiming the forged content as the challenge: the signed digest no longer fits
    refused(errors.DigestMismatch, "digest_mismatch", verify, tampered, store, challenge=forged)


def test_signing_time_missing(world, store):
    p7 = sign(world.user, signing_time=None)
    refused(errors.SigningTimeInvalid, "signing_time", verify, p7, store)


def test_signing_time_too_old(world, store):
    p7 = sign(world.user, signing_time=NOW - timedelta(hours=1))
    refused(errors.SigningTimeInvalid, "signing_time", verify, p7, store)


def test_signing_certificate_names_another_cert(world, store):
    p7 = sign(world.user, ess_cert=world.user_xa.cert)
    refused(errors.CertMismatch, "cert_mismatch", verify, p7, store)


def test_signer_certificate_missing(world, store):
    p7 = sign(world.user, include_cert=False)
    refused(errors.SignerCertMissing, "signer_cert_missing", verify, p7, store)
    # another certificate carried instead does not help
    p7 = sign(world.user, include_cert=False, extra_certs=[world.user_xa.cert])
    refused(errors.SignerCertMissing, "signer_cert_missing", verify, p7, store)


def test_digest_algorithm_must_fit_key(world, store):
    p7 = sign(world.user)
    s256 = bytes.fromhex("06082a85030701010202")  # Streebog-256 OID
    s512 = bytes.fromhex("06082a85030701010203")
    exc = refused(errors.UnsupportedAlgorithm, "unsupported_algorithm", verify, p7.replace(s256, s512), store)
    assert isinstance(exc, errors.Malformed)


# --- refused: certificate, chain, revocation ---------------------------------------


def test_expired(world, store):
    p7 = sign(world.user, signing_time=datetime(2074, 1, 2))
    refused(errors.Expired, "expired", verify, p7, store, now=datetime(2074, 1, 2))


def test_not_yet_valid(world, store):
    p7 = sign(world.user, signing_time=datetime(2023, 12, 31))
    refused(errors.NotYetValid, "not_yet_valid", verify, p7, store, now=datetime(2023, 12, 31))


def test_unknown_ca(world, store):
    refused(errors.UnknownCa, "unknown_ca", verify, sign(world.foreign_user), store)
    refused(errors.UnknownCa, "unknown_ca", verify, sign(world.user), TrustStore())
    foreign_only = TrustStore([world.foreign.cert], [world.foreign_crl])
    refused(errors.UnknownCa, "unknown_ca", verify, sign(world.user), foreign_only)


def test_forged_ca_with_same_name(world):
    # a trust store holding only the look-alike CA must not accept the real user
    forged_store = TrustStore([world.forged.cert], [world.forged.crl()])
    refused(errors.UnknownCa, "unknown_ca", verify, sign(world.user), forged_store)


def test_ca_outside_validity(world):
    pki = TestPki(seed=b"short-ca")
    ca = pki.ca(not_after=datetime(2025, 1, 1))
    user = ca.issue()
    store = TrustStore([ca.cert], [ca.crl()])
    refused(errors.CaInvalid, "ca_invalid", verify, sign(user), store)


def test_revoked(world, store):
    refused(errors.Revoked, "revoked", verify, sign(world.revoked), store)


def test_revoked_even_with_stale_crl(world, store):
    p7 = sign(world.revoked, signing_time=datetime(2031, 1, 1))
    refused(errors.Revoked, "revoked", verify, p7, store, now=datetime(2031, 1, 1))


def test_crl_missing(world):
    refused(errors.CrlMissing, "crl_missing", verify, sign(world.user), world.store(crls=[]))
    # a CRL of another CA does not count
    other = world.store(crls=[world.foreign_crl])
    refused(errors.CrlMissing, "crl_missing", verify, sign(world.user), other)


def test_crl_stale_and_grace(world, store):
    later = datetime(2030, 1, 3)
    p7 = sign(world.user, signing_time=later)
    refused(errors.CrlStale, "crl_stale", verify, p7, store, now=later)
    refused(errors.CrlStale, "crl_stale", verify, p7, store, now=later, crl_grace=timedelta(days=1))
    signer = verify(p7, store, now=later, crl_grace=timedelta(days=3))
    assert signer.serial == world.user.cert.serial


def test_newest_crl_wins(world):
    newer = world.ca.crl(revoked=[world.user], this_update=datetime(2025, 3, 1), next_update=datetime(2030, 1, 1))
    store = world.store(crls=[world.crl, newer])
    refused(errors.Revoked, "revoked", verify, sign(world.user), store)


def test_crl_with_bad_signature(world):
    # the look-alike CA's CRL carries the trusted CA's name but not its signature
    store = world.store(crls=[world.forged.crl()])
    refused(errors.CrlInvalid, "crl_invalid", verify, sign(world.user), store)


def test_intermediate_ca_chain():
    pki = TestPki(seed=b"chain")
    root = pki.ca("Тестовый корневой УЦ")
    sub = root.issue("Тестовый подчинённый УЦ", surname=None, given_name=None, snils=None, ca=True)
    user = sub.issue()
    store = TrustStore([root.cert], [root.crl(), sub.crl()])
    p7 = sign(user, extra_certs=[sub.cert])
    assert verify(p7, store).chain == (user.cert, sub.cert, root.cert)
    # without the intermediate in the CMS the chain cannot be built
    refused(errors.UnknownCa, "unknown_ca", verify, sign(user), store)
    # the intermediate itself revoked by the root
    store2 = TrustStore([root.cert], [root.crl(revoked=[sub]), sub.crl()])
    refused(errors.Revoked, "revoked", verify, p7, store2)
    # the intermediate's own CRL missing
    refused(errors.CrlMissing, "crl_missing", verify, p7, TrustStore([root.cert], [root.crl()]))
    # a leaf certificate cannot act as a CA
    fake_sub = (
        TestPki(seed=b"chain")
        .ca("Тестовый корневой УЦ")
        .issue("Тестовый подчинённый УЦ", surname=None, given_name=None, snils=None)
    )
    assert not fake_sub.cert.is_ca


def test_verify_certificate_for_mail_intake(world, store):
    chain = verify_certificate(world.user.cert.der, store, now=NOW)
    assert chain[-1] == world.ca.cert
    refused(errors.Revoked, "revoked", verify_certificate, world.revoked.cert, store, now=NOW)
    refused(errors.UnknownCa, "unknown_ca", verify_certificate, world.foreign_user.cert, store, now=NOW)
    refused(errors.Expired, "expired", verify_certificate, world.user.cert, store, now=datetime(2080, 1, 1))


# --- refused: malformed -------------------------------------------------------------


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"\x30\x00",
        b"not base64 at all!",
        "",
        b"\x00" * 100,
        "-----BEGIN CMS-----\nMAA=\n-----END CMS-----",
        None,
        12,
    ],
)
def test_malformed_inputs(store, junk):
    refused(errors.Malformed, "malformed", verify, junk, store)


def test_signature_without_signed_attributes(world, store):
    p7 = sign(world.user, signed_attributes=False)
    exc = refused(errors.Malformed, "malformed", verify, p7, store)
    assert "signed attributes" in str(exc)


def test_certificate_is_not_a_cms(world, store):
    refused(errors.Malformed, "malformed", verify, world.user.cert.der, store)


def test_truncated_cms(world, store):
    p7 = sign(world.user)
    for cut in (1, 10, len(p7) // 2, len(p7) - 1):
        with pytest.raises(errors.Malformed):
            verify(p7[:cut], store)


def test_every_reason_is_distinct():
    reasons = [cls.reason for cls in errors.ALL_ERRORS]
    assert len(reasons) == len(set(reasons))
    for cls in errors.ALL_ERRORS:
        assert issubclass(cls, errors.GostError)


def test_dev_pki_is_stable_and_verifies():
    from shared.gost.testpki import DevPki

    a, b = DevPki(), DevPki()
    assert a.ca.cert.der == b.ca.cert.der and a.user.cert.der == b.user.cert.der
    store = TrustStore([a.ca.cert], [a.crl])
    signer = verify_signed_challenge(a.sign(CHALLENGE), CHALLENGE, store)
    assert signer.certificate == a.user.cert


# --- refused: key usage (RFC 5280 4.2.1.3, 4.2.1.9, 4.2.1.12) -----------------------------------


def _usage_world(seed, **ca_extensions):
    pki = TestPki(seed=seed)
    root = pki.ca("Тестовый корневой УЦ")
    sub = root.issue("Тестовый подчинённый УЦ", surname=None, given_name=None, snils=None, ca=True, **ca_extensions)
    return root, sub


@pytest.mark.parametrize(
    "extensions",
    [
        {"key_usage": {"key_encipherment"}},  # an encryption-only key
        {"extended_key_usage": ["email_protection"]},  # may protect mail, not authenticate a client
        {"extended_key_usage": ["code_signing", "time_stamping"]},
    ],
)
def test_signer_usage_must_allow_client_signatures(world, store, extensions):
    user = world.ca.issue("НЕПОДПИСАНОВ ТЕСТ ТЕСТОВИЧ", surname="НЕПОДПИСАНОВ", **extensions)
    refused(errors.WrongUsage, "key_usage", verify, sign(user), store)
    refused(errors.WrongUsage, "key_usage", verify_certificate, user.cert, store, now=NOW)


@pytest.mark.parametrize(
    "extensions",
    [
        {"key_usage": None, "extended_key_usage": None},  # no restriction at all
        {"key_usage": {"digital_signature"}, "extended_key_usage": ["client_auth"]},
        {"extended_key_usage": ["any_extended_key_usage"]},
    ],
)
def test_signer_usage_allowed(world, store, extensions):
    user = world.ca.issue("РАЗРЕШЁНОВ ТЕСТ ТЕСТОВИЧ", surname="РАЗРЕШЁНОВ", **extensions)
    assert verify(sign(user), store).serial == user.cert.serial


def test_issuer_must_be_allowed_to_sign_certificates():
    root, sub = _usage_world(b"usage-cert-sign", key_usage={"crl_sign", "digital_signature"})
    user = sub.issue()
    store = TrustStore([root.cert], [root.crl(), sub.crl()])
    refused(errors.CaInvalid, "ca_invalid", verify, sign(user, extra_certs=[sub.cert]), store)


def test_crl_issuer_must_be_allowed_to_sign_crls():
    pki = TestPki(seed=b"usage-crl-sign")
    root = pki.ca()
    sub = root.issue(
        "Тестовый УЦ без crlSign",
        surname=None,
        given_name=None,
        snils=None,
        ca=True,
        key_usage={"key_cert_sign", "digital_signature"},
    )
    user = sub.issue()
    store = TrustStore([root.cert], [root.crl(), sub.crl()])
    refused(errors.CrlInvalid, "crl_invalid", verify, sign(user, extra_certs=[sub.cert]), store)


def test_path_length_constraint():
    root, sub = _usage_world(b"usage-path-length", path_length=0)
    user = sub.issue()
    store = TrustStore([root.cert], [root.crl(), sub.crl()])
    assert verify(sign(user, extra_certs=[sub.cert]), store).chain == (user.cert, sub.cert, root.cert)
    # a CA below a pathLenConstraint of 0 may not issue further CAs
    deeper = sub.issue("Тестовый УЦ третьего уровня", surname=None, given_name=None, snils=None, ca=True)
    far_user = deeper.issue()
    store = TrustStore([root.cert], [root.crl(), sub.crl(), deeper.crl()])
    refused(errors.CaInvalid, "ca_invalid", verify, sign(far_user, extra_certs=[sub.cert, deeper.cert]), store)
    # the same chain under a root without the constraint on the middle CA is fine
    root2, sub2 = _usage_world(b"usage-path-length-free")
    deeper2 = sub2.issue("Тестовый УЦ третьего уровня", surname=None, given_name=None, snils=None, ca=True)
    far2 = deeper2.issue()
    store2 = TrustStore([root2.cert], [root2.crl(), sub2.crl(), deeper2.crl()])
    assert len(verify(sign(far2, extra_certs=[sub2.cert, deeper2.cert]), store2).chain) == 4


# --- bounds (issue 17): refused before the parts are parsed -------------------------


def _stuffed(user, attributes=0, blob=0):
    from tests.security.attack import build_cms

    return build_cms(user.cert, CHALLENGE, user.key.sign, attributes=attributes, blob=blob)


def test_signed_attributes_or_certificates_beyond_the_bounds_are_malformed(world, store):
    import time

    from shared.gost import cms

    for der in (
        _stuffed(world.user, attributes=cms.MAX_SIGNED_ATTRS),
        _stuffed(world.user, blob=20000),
        _stuffed(world.user, attributes=3000),
        sign(world.user, extra_certs=[world.ca.cert] * cms.MAX_CERTS),
    ):
        started = time.perf_counter()
        refused(errors.Malformed, "malformed", verify, der, store)
        assert time.perf_counter() - started < 0.05


def test_a_refusal_says_whether_the_signature_itself_verified(world, store):
    from shared.gost.testpki import sign_cms

    assert refused(errors.GostError, "revoked", verify, sign(world.revoked), store).signature_valid
    assert refused(errors.GostError, "unknown_ca", verify, sign(world.foreign_user), store).signature_valid
    forged = sign_cms(CHALLENGE, world.user.cert, world.foreign_user.key, signing_time=NOW)  # someone else's key
    assert not refused(errors.BadSignature, "bad_signature", verify, forged, store).signature_valid
