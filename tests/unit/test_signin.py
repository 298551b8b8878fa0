"""The login decision with real GOST signatures from the test PKI (same verification path as production)."""

from datetime import UTC, datetime, timedelta

import pytest

from services.gateway import messages
from services.gateway.auth import signin
from shared.gost import TrustStore, curves
from shared.gost.testpki import TestPki

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CHALLENGE = "ozsp-login-TestChallenge0123456789abcdefghijklmnop"


@pytest.fixture(scope="module")
def world():
    pki = TestPki(seed="signin")
    ca = pki.ca()
    foreign = TestPki(seed="foreign").ca("ЧУЖОЙ УЦ")
    users = {
        "ok256": ca.issue("ТЕСТОВ ТЕСТ ТЕСТОВИЧ"),
        "ok512": ca.issue("ПРИМЕРОВА ПРИМА ТЕСТОВНА", curve=curves.TC26_512_A),
        "expired": ca.issue("СТАРОВ", not_before=NOW - timedelta(days=800), not_after=NOW - timedelta(days=1)),
        "revoked": ca.issue("ОТОЗВАНОВ"),
        "foreign": foreign.issue("ЧУЖОВ"),
        "encryption_only": ca.issue("ШИФРОВ", key_usage={"key_encipherment"}),
    }
    crl = ca.crl(revoked=[users["revoked"]], this_update=NOW - timedelta(days=1), next_update=NOW + timedelta(days=7))
    return {"ca": ca, "users": users, "store": TrustStore([ca.cert], [crl])}


def owner(**overrides):
    base = {
        "certificate_id": 7,
        "certificate_active": True,
        "user_id": 3,
        "user_active": True,
        "roles": ["web"],
        "organization_id": 5,
        "organization_active": True,
    }
    return {**base, **overrides}


def login(world, user, found=None, challenge=CHALLENGE, signed=CHALLENGE, **sign_options):
    p7s = world["users"][user].sign_challenge(signed.encode(), signing_time=NOW, **sign_options)
    return signin.authenticate(p7s, challenge, world["store"], lambda issuer, serial: found, now=NOW)


@pytest.mark.parametrize("user", ["ok256", "ok512"])
def test_registered_active_user_logs_in(world, user):
    result = login(world, user, owner())
    assert result.ok and result.identity == {"user_id": 3, "organization_id": 5} and result.certificate_id == 7
    assert result.serial == world["users"][user].cert.serial_hex


def test_directory_passes_issuer_and_serial(world):
    seen = []
    p7s = world["users"]["ok256"].sign_challenge(CHALLENGE.encode(), signing_time=NOW)
    signin.authenticate(p7s, CHALLENGE, world["store"], lambda *key: seen.append(key), now=NOW)
    cert = world["users"]["ok256"].cert
    assert seen == [(str(cert.issuer), cert.serial_hex)]


@pytest.mark.parametrize(
    "found, reason, message",
    [
        (None, "unknown_certificate", messages.UNKNOWN_CERTIFICATE),
        (owner(user_active=False), "user_inactive", "Пользователь помечен как не действующий в справочнике абонентов"),
        (
            owner(organization_active=False),
            "organization_inactive",
            "Организация помечена как не действующая в справочнике абонентов",
        ),
        (owner(roles=[]), "no_web_role", messages.NO_WEB_ROLE),
        (owner(certificate_active=False), "certificate_withdrawn", messages.CERTIFICATE_WITHDRAWN),
    ],
)
def test_directory_refusals_carry_the_manual_text_and_serial(world, found, reason, message):
    result = login(world, "ok256", found)
    assert (result.ok, result.reason, result.message) == (False, reason, message)
    assert result.serial == world["users"]["ok256"].cert.serial_hex


@pytest.mark.parametrize(
    "user, reason",
    [("expired", "expired"), ("revoked", "revoked"), ("foreign", "unknown_ca"), ("encryption_only", "key_usage")],
)
def test_certificate_refusals(world, user, reason):
    result = login(world, user, owner())
    assert (result.ok, result.reason, result.message) == (False, reason, messages.LOGIN_REASONS[reason])
    assert result.serial == world["users"][user].cert.serial_hex


def test_signature_over_another_challenge_is_refused(world):
    result = login(world, "ok256", owner(), signed="ozsp-login-SomethingElse")
    assert not result.ok and result.reason in ("digest_mismatch", "content_mismatch")


def test_garbage_is_refused_not_raised(world):
    for junk in (b"", b"not a signature", "MIIB" + "A" * 50):
        result = signin.authenticate(junk, CHALLENGE, world["store"], lambda *a: owner(), now=NOW)
        assert not result.ok and result.reason == "malformed" and result.message == messages.LOGIN_REASONS["malformed"]


def test_missing_crl_is_refused(world):
    store = TrustStore([world["ca"].cert])
    p7s = world["users"]["ok256"].sign_challenge(CHALLENGE.encode(), signing_time=NOW)
    result = signin.authenticate(p7s, CHALLENGE, store, lambda *a: owner(), now=NOW)
    assert (result.ok, result.reason) == (False, "crl_missing")


def test_only_attempts_whose_signature_verified_count_for_the_certificate(world):
    from shared.gost.testpki import TestPki, sign_cms

    outsider = TestPki(seed="signin-outsider").ca("ЧУЖОЙ").issue("ПОДДЕЛОВ")
    victim = world["users"]["ok256"]
    forged = sign_cms(CHALLENGE.encode(), victim.cert, outsider.key, signing_time=NOW)
    result = signin.authenticate(forged, CHALLENGE, world["store"], lambda *key: owner(), now=NOW)
    assert (result.reason, result.verified, result.serial) == ("bad_signature", False, victim.cert.serial_hex)
    assert login(world, "revoked", owner()).verified  # verified, then the certificate was refused
    assert login(world, "ok256", None).verified  # verified, unknown to the directory
    assert login(world, "ok256", owner()).verified
    assert not login(world, "ok256", owner(), signed="другое").verified
