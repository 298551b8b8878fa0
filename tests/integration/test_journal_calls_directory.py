"""services.journal.calls.directory on a real PostgreSQL, without a broker: trust material, certificate owners,
login challenges, sessions, login attempts, the audit and the cleanup timer's job."""

import base64
import logging
import uuid

import pytest
from sqlalchemy import create_engine, text

from services.journal import directory as D
from services.journal.calls import directory as calls
from shared.gost.testpki import TestPki
from tests.integration.test_certmail_kit import issue, make_ca

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world(quiet_engine):
    ca = make_ca(TestPki(seed=uuid.uuid4().hex), "УЦ ВЫЗОВОВ СПРАВОЧНИКА")
    cert = issue(ca, "ВЫЗОВОВ ИВАН", surname="ВЫЗОВОВ").cert
    with quiet_engine.begin() as conn:
        D.import_ca(conn, ca.cert, actor="test")
        org = D.add_organization(conn, 'ГБУЗ МО "ВЫЗОВНАЯ"', "mo", "509977", actor="test")
        user = D.add_user(conn, org, "Вызовов", "Иван", actor="test")
        cert_id = D.add_certificate(conn, user, cert, actor="test")
    return {"ca": ca.cert, "cert": cert, "org": org, "user": user, "cert_id": cert_id}


def test_trust_material_is_base64_der(quiet_engine, world):
    material = calls.trust_material(quiet_engine)
    assert set(material) == {"cas", "crls"}
    assert base64.b64encode(world["ca"].der).decode() in material["cas"]


def test_certificate_owner(quiet_engine, world):
    owner = calls.certificate_owner(quiet_engine, str(world["cert"].issuer), world["cert"].serial_hex)
    assert (owner["user_id"], owner["organization_id"], owner["certificate_id"]) == (
        world["user"],
        world["org"],
        world["cert_id"],
    )
    assert calls.certificate_owner(quiet_engine, "CN=никто", "00") is None


def test_a_challenge_is_consumed_once(quiet_engine):
    issued = calls.issue_challenge(quiet_engine, "120")
    assert calls.consume_challenge(quiet_engine, issued["id"]) == issued["challenge"]
    assert calls.consume_challenge(quiet_engine, issued["id"]) is None
    assert calls.issue_challenge(quiet_engine, 120, "0") is None  # no room for one more live challenge


def test_a_session_lives_until_it_ends(quiet_engine, world):
    token = calls.start_session(quiet_engine, world["user"], world["org"], world["cert_id"])
    identity = calls.session_identity(quiet_engine, token, "30", "12")
    assert (identity["user_id"], identity["organization_id"]) == (world["user"], world["org"])
    calls.end_session(quiet_engine, token)
    assert calls.session_identity(quiet_engine, token) is None


def test_a_session_pairs_a_user_with_their_own_organisation_only(quiet_engine, world):
    with quiet_engine.begin() as conn:
        other = D.add_organization(conn, "ООО Другая", "smo")
    with pytest.raises(D.DirectoryError, match="не состоит в организации"):
        calls.start_session(quiet_engine, world["user"], other, world["cert_id"])
    with quiet_engine.begin() as conn:  # a mismatched pair written behind the journal's back is no session
        token = "forged-" + uuid.uuid4().hex
        conn.execute(
            text("INSERT INTO sessions (token_hash, user_id, organization_id) VALUES (:h, :u, :o)"),
            {"h": D._token_hash(token), "u": world["user"], "o": other},
        )
    assert calls.session_identity(quiet_engine, token) is None


def test_audit_and_login_attempts(quiet_engine, world):
    address = f"198.51.100.{uuid.uuid4().int % 250}"
    for _ in range(2):
        calls.audit(quiet_engine, "login.refused", "ABC", {"address": address}, None, world["org"])
    assert calls.count_login_attempts(quiet_engine, address, None, "60") == 2
    assert calls.count_login_attempts(quiet_engine, "203.0.113.1") == 0


def test_purge_login_state_drops_expired_challenges_once_for_all_copies(quiet_engine):
    with quiet_engine.begin() as conn:
        conn.execute(text("DELETE FROM job_turns WHERE name = :n"), {"n": calls.PURGE_LOGIN_TURN})
        conn.execute(text("INSERT INTO auth_challenges (challenge, expires_at) VALUES ('old', now() - interval '1 s')"))
    calls.purge_login_state(quiet_engine, 12)
    with quiet_engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM auth_challenges WHERE challenge = 'old'")).scalar() == 0
        conn.execute(
            text("INSERT INTO auth_challenges (challenge, expires_at) VALUES ('old2', now() - interval '1 s')")
        )
    calls.purge_login_state(quiet_engine, 12)  # another journal copy's timer: not its turn yet
    with quiet_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM auth_challenges WHERE challenge = 'old2'")).scalar() == 1


def test_purge_login_state_is_quiet_while_the_database_is_away(caplog):
    away = create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none")
    with caplog.at_level(logging.ERROR):
        calls.purge_login_state(away, 12)  # the timer comes back; an outage is not an error
    assert caplog.records == []


def test_the_api_lookup_checks_the_session_in_the_call_that_creates_it(quiet_engine, world):
    """calls.requests.create_request_in_session: the session of the user the CSRF token named, or nothing made."""
    from services.journal.calls import requests as lookups
    from shared.params import FIELDS

    name = "СЕССИЯ-" + uuid.uuid4().hex[:6]
    params = {f: None for f in FIELDS} | {"name": name, "enp": "5096989785000017", "as_of": "2026-11-26"}
    token = calls.start_session(quiet_engine, world["user"], world["org"], world["cert_id"])
    sent = []
    assert lookups.create_request_in_session(quiet_engine, token, 30, 12, world["user"] + 1, params) == {
        "refused": "session"
    }
    created = lookups.create_request_in_session(
        quiet_engine, token, "30", "12", world["user"], params, 0, lambda conn, work: sent.append(work)
    )
    assert created["status"] == "sent" and [[i["request_id"] for i in w] for w in sent] == [[created["id"]]]
    seen = lookups.get_requests_in_session(quiet_engine, token, "30", "12", [created["id"], 1])
    assert (seen["session"]["user_id"], seen["session"]["organization_id"]) == (world["user"], world["org"])
    assert [c["id"] for c in seen["cards"]] == [created["id"]]  # request 1 is another organisation's
    calls.end_session(quiet_engine, token)
    assert lookups.create_request_in_session(quiet_engine, token, 30, 12, world["user"], params) == {
        "refused": "session"
    }
    assert lookups.get_requests_in_session(quiet_engine, token, 30, 12, [created["id"]]) is None
    with quiet_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, user_id, organization_id FROM requests WHERE name = :n"), {"n": name}
        ).all()
    assert [tuple(r) for r in rows] == [(created["id"], world["user"], world["org"])]
