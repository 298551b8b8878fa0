"""The subscriber directory on a real PostgreSQL: registration, owner look-up, challenges, sessions, audit."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.journal import directory as D
from shared.gost.testpki import TestPki

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def pki():
    pki = TestPki(seed="directory-store")
    ca = pki.ca("УЦ КАТАЛОГА")
    return {"ca": ca, "user": ca.issue("КАТАЛОГОВ ТЕСТ"), "other": ca.issue("ВТОРОВ ТЕСТ")}


@pytest.fixture
def org_user(quiet_engine, pki, request):
    """A fresh organisation and user with its own e-mail and certificate (pki["user"] is the holder's)."""
    pki["user"] = pki["ca"].issue("КАТАЛОГОВ ТЕСТ")
    with quiet_engine.begin() as conn:
        org = D.add_organization(conn, 'ГБУЗ МО "ТЕСТОВАЯ БОЛЬНИЦА"', "mo", "509999", actor="test")
        user = D.add_user(
            conn,
            org,
            "Каталогов",
            "Тест",
            "Тестович",
            snils="112-233-445 95",
            emails=[f"Katalogov.{request.node.name[:20]}@Example.test"],
            actor="test",
        )
        cert_id = D.add_certificate(conn, user, pki["user"].cert, actor="test")
    return org, user, cert_id


def test_registered_certificate_finds_its_owner(quiet_engine, pki, org_user):
    org, user, cert_id = org_user
    cert = pki["user"].cert
    with quiet_engine.connect() as conn:
        found = D.certificate_owner(conn, str(cert.issuer), cert.serial_hex)
        unknown = D.certificate_owner(conn, str(cert.issuer), "00FF")
        email = conn.execute(text("SELECT email FROM user_emails WHERE user_id = :u"), {"u": user}).scalar()
        snils = conn.execute(text("SELECT snils FROM users WHERE id = :u"), {"u": user}).scalar()
    assert found["user_id"] == user and found["organization_id"] == org and found["certificate_id"] == cert_id
    assert found["user_active"] and found["organization_active"] and found["roles"] == ["web"]
    assert unknown is None
    assert email == "katalogov.test_registered_cert@example.test" and snils == "11223344595"


def test_deactivation_shows_in_the_owner_and_ends_sessions(quiet_engine, pki, org_user):
    org, user, cert_id = org_user
    with quiet_engine.begin() as conn:
        token = D.create_session(conn, user, org, cert_id)
        assert D.session_identity(conn, token)["user_id"] == user
        D.set_user_active(conn, user, False, actor="test")
        assert D.session_identity(conn, token) is None
        cert = pki["user"].cert
        assert D.certificate_owner(conn, str(cert.issuer), cert.serial_hex)["user_active"] is False
        D.set_user_active(conn, user, True)
        D.set_organization_active(conn, org, False)
        assert D.session_identity(conn, token) is None
        actions = (
            conn.execute(
                text("SELECT action FROM audit WHERE object_id IN (:u, :o) ORDER BY id"),
                {"u": str(user), "o": str(org)},
            )
            .scalars()
            .all()
        )
    assert "directory.user.deactivate" in actions and "directory.organization.deactivate" in actions


def test_sessions_end_on_logout_and_when_idle(quiet_engine, org_user):
    org, user, cert_id = org_user
    with quiet_engine.begin() as conn:
        token = D.create_session(conn, user, org, cert_id)
        other = D.create_session(conn, user, org, cert_id)
        D.end_session(conn, token)
        assert D.session_identity(conn, token) is None
        assert D.session_identity(conn, "forged") is None
        conn.execute(text("UPDATE sessions SET last_seen_at = now() - interval '31 minutes'"))
        assert D.session_identity(conn, other, idle_minutes=30) is None


def test_the_idle_timer_is_written_at_most_once_a_minute(quiet_engine, org_user):
    """Most API calls only read the session (no write per call); an older timer is refreshed."""
    org, user, cert_id = org_user
    seen = "SELECT last_seen_at FROM sessions WHERE token_hash = :h"
    with quiet_engine.begin() as conn:
        token = D.create_session(conn, user, org, cert_id)
        h = D._token_hash(token)
        conn.execute(
            text("UPDATE sessions SET last_seen_at = now() - interval '20 seconds' WHERE token_hash = :h"), {"h": h}
        )
        before = conn.execute(text(seen), {"h": h}).scalar_one()
        assert D.session_identity(conn, token)["user_id"] == user
        assert conn.execute(text(seen), {"h": h}).scalar_one() == before
        conn.execute(
            text("UPDATE sessions SET last_seen_at = now() - interval '2 minutes' WHERE token_hash = :h"), {"h": h}
        )
        assert D.session_identity(conn, token)["user_id"] == user
        assert conn.execute(
            text("SELECT now() - last_seen_at < interval '1 second' FROM sessions WHERE token_hash = :h"), {"h": h}
        ).scalar_one()


def test_challenge_is_single_use_and_expires(quiet_engine):
    with quiet_engine.begin() as conn:
        issued = D.issue_challenge(conn, ttl_seconds=60)
        stale = D.issue_challenge(conn, ttl_seconds=-1)
    assert issued["challenge"].isascii() and len(issued["challenge"]) > 40
    with quiet_engine.begin() as conn:
        assert D.consume_challenge(conn, issued["id"]) == issued["challenge"]
        assert D.consume_challenge(conn, issued["id"]) is None  # replay
        assert D.consume_challenge(conn, stale["id"]) is None  # expired
        assert D.consume_challenge(conn, "not-a-uuid") is None


def test_ca_and_crl_make_the_trust_material(quiet_engine, pki):
    crl = pki["ca"].crl(revoked=[pki["other"]], this_update=NOW - timedelta(hours=1))
    with quiet_engine.begin() as conn:
        D.import_ca(conn, pki["ca"].cert, actor="test")
        D.import_crl(conn, crl, actor="test")
        material = D.trust_material(conn)
    assert pki["ca"].cert.der in material["cas"] and crl.der in material["crls"]
    foreign = TestPki(seed="nobody").ca("НЕИЗВЕСТНЫЙ УЦ").crl()
    with pytest.raises(D.DirectoryError):
        with quiet_engine.begin() as conn:
            D.import_crl(conn, foreign)


def test_refused_changes_explain_themselves(quiet_engine, pki, org_user):
    org, user, _ = org_user
    with quiet_engine.begin() as conn:
        with pytest.raises(D.DirectoryError, match="Вид организации"):
            D.add_organization(conn, "X", "bank")
    for bad in (
        lambda c: D.add_user(c, 999999, "А", "Б"),
        lambda c: D.add_email(c, user, "без собаки"),
        lambda c: D.set_user_active(c, 999999, True),
        lambda c: D.add_certificate(c, 999999, pki["user"].cert),
    ):
        with pytest.raises(D.DirectoryError):
            with quiet_engine.begin() as conn:
                bad(conn)


def test_the_certificate_limit_counts_only_attempts_that_verified(quiet_engine):
    with quiet_engine.begin() as conn:
        for verified in (False, False, False, True):
            D.audit(conn, "login.refused", "CERTLIMIT01", {"reason": "x", "address": "h:a", "verified": verified})
        assert D.count_login_attempts(conn, "h:other", "CERTLIMIT01") == 1  # forged ones are not the holder's
        assert D.count_login_attempts(conn, "h:a", None) >= 4  # the address counts them all


def test_live_challenges_are_capped(quiet_engine):
    with quiet_engine.begin() as conn:
        live = conn.execute(
            text("SELECT count(*) FROM auth_challenges WHERE used_at IS NULL AND expires_at > now()")
        ).scalar_one()
        assert D.issue_challenge(conn, 60, live_max=live + 1) is not None
        assert D.issue_challenge(conn, 60, live_max=live + 1) is None
        assert D.issue_challenge(conn, 60) is not None  # no cap asked


def test_purge_drops_expired_challenges_and_old_sessions_only(quiet_engine, org_user):
    org, user, cert_id = org_user
    with quiet_engine.begin() as conn:
        stale = D.issue_challenge(conn, ttl_seconds=-1)
        fresh = D.issue_challenge(conn, ttl_seconds=60)
        live, ended = D.create_session(conn, user, org, cert_id), D.create_session(conn, user, org, cert_id)
        D.end_session(conn, ended)
        conn.execute(
            text(
                "UPDATE sessions SET ended_at = now() - interval '2 days' WHERE ended_at IS NOT NULL AND user_id = :u"
            ),
            {"u": user},
        )
        challenges, sessions = D.purge_login_state(conn, absolute_hours=12)
        assert challenges >= 1 and sessions >= 1
        assert (
            D.consume_challenge(conn, fresh["id"])
            and not conn.execute(
                text("SELECT 1 FROM auth_challenges WHERE id = CAST(:id AS uuid)"), {"id": stale["id"]}
            ).first()
        )
        assert D.session_identity(conn, live)["user_id"] == user


def test_withdrawing_a_certificate_ends_its_sessions(quiet_engine, pki, org_user):
    org, user, cert_id = org_user
    with quiet_engine.begin() as conn:
        token = D.create_session(conn, user, org, cert_id)
        assert D.certificate_by_serial(conn, pki["user"].cert.serial_hex.lower()) == cert_id
        assert D.set_certificate_active(conn, cert_id, False, actor="test") == 1
        assert D.session_identity(conn, token) is None
        owner = D.certificate_owner(conn, str(pki["user"].cert.issuer), pki["user"].cert.serial_hex)
        assert owner["certificate_active"] is False
        D.set_certificate_active(conn, cert_id, True, actor="test")
        assert D.session_identity(conn, token) is None  # an ended session stays ended
        audited = conn.execute(
            text("SELECT details FROM audit WHERE action = 'directory.certificate.withdraw' AND object_id = :id"),
            {"id": str(cert_id)},
        ).scalar_one()
        assert audited["sessions_ended"] == 1
        with pytest.raises(D.DirectoryError):
            D.certificate_by_serial(conn, "00DEAD")
