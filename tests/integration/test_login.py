"""Login by certificate over HTTP against the running services (issue 7; manual §3)."""

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import text

from services.gateway import messages
from services.journal import directory as D
from shared.gost import curves
from shared.gost.testpki import TestPki

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def world(engine):
    """A CA with its CRL in the directory; an organisation with users holding certificates of every kind."""
    pki = TestPki(seed="login-http")
    ca = pki.ca("УЦ ДЛЯ ВХОДА")
    foreign = TestPki(seed="login-foreign").ca("ЧУЖОЙ УЦ")
    certs = {
        "ok256": ca.issue("ВХОДОВ ТЕСТ"),
        "ok512": ca.issue("ВХОДОВА ТЕСТА", curve=curves.TC26_512_A),
        "inactive_user": ca.issue("УВОЛЕНОВ ТЕСТ"),
        "inactive_org": ca.issue("ЗАКРЫТОВ ТЕСТ"),
        "unknown": ca.issue("НЕЗАРЕГИСТРИРОВАНОВ ТЕСТ"),
        "expired": ca.issue(
            "ПРОСРОЧЕНОВ ТЕСТ", not_before=NOW - timedelta(days=800), not_after=NOW - timedelta(days=1)
        ),
        "revoked": ca.issue("ОТОЗВАНОВ ТЕСТ"),
        "foreign": foreign.issue("ЧУЖОВ ТЕСТ"),
    }
    crl = ca.crl(revoked=[certs["revoked"]], this_update=NOW - timedelta(hours=1), next_update=NOW + timedelta(days=7))
    with engine.begin() as conn:
        D.import_ca(conn, ca.cert)
        D.import_crl(conn, crl)
        org = D.add_organization(conn, 'ГБУЗ МО "БОЛЬНИЦА ВХОДА"', "mo")
        closed = D.add_organization(conn, 'ГБУЗ МО "ЗАКРЫТАЯ БОЛЬНИЦА"', "mo")
        users = {}
        for key in ("ok256", "ok512", "inactive_user", "expired", "revoked", "foreign"):
            users[key] = D.add_user(conn, org, key.upper(), "ТЕСТ")
            D.add_certificate(conn, users[key], certs[key].cert)
        users["inactive_org"] = D.add_user(conn, closed, "ЗАКРЫТОВ", "ТЕСТ")
        D.add_certificate(conn, users["inactive_org"], certs["inactive_org"].cert)
        D.set_user_active(conn, users["inactive_user"], False)
        D.set_organization_active(conn, closed, False)
    return {"certs": certs, "users": users, "org": org}


def attempt(stack, user, reuse=None):
    """One login through the real endpoints; returns (response, session, (challenge id, signature))."""
    session = requests.Session()
    session.get(stack.base_url + "/login", timeout=30)
    headers = {"X-CSRF-Token": session.cookies.get("ozsp_csrf")}
    if reuse is None:
        issued = session.post(stack.base_url + "/login/challenge", json={}, headers=headers, timeout=30).json()
        signature = base64.b64encode(user.sign_challenge(issued["challenge"].encode())).decode()
        reuse = (issued["id"], signature)
    r = session.post(
        stack.base_url + "/login", json={"challenge_id": reuse[0], "signature": reuse[1]}, headers=headers, timeout=30
    )
    return r, session, reuse


@pytest.mark.parametrize("key", ["ok256", "ok512"])
def test_login_gives_a_session_scoped_to_the_organisation(stack, world, key):
    r, session, _ = attempt(stack, world["certs"][key])
    assert r.status_code == 200 and r.json() == {"ok": True, "redirect": "/"}, r.text
    cookie = r.headers["Set-Cookie"]
    assert "ozsp_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    listed = session.get(stack.base_url + "/api/v1/requests", timeout=30)
    assert listed.status_code == 200 and listed.json()["total"] == 0  # a new organisation sees nothing yet


@pytest.mark.parametrize(
    "key, message",
    [
        ("inactive_user", "Пользователь помечен как не действующий в справочнике абонентов"),
        ("inactive_org", "Организация помечена как не действующая в справочнике абонентов"),
        ("unknown", messages.UNKNOWN_CERTIFICATE),
        ("expired", messages.LOGIN_REASONS["expired"]),
        ("revoked", messages.LOGIN_REASONS["revoked"]),
        ("foreign", messages.LOGIN_REASONS["unknown_ca"]),
    ],
)
def test_refusals_show_the_box_with_serial_and_message(stack, world, key, message):
    r, session, _ = attempt(stack, world["certs"][key])
    body = r.json()
    assert r.status_code == 403 and "ozsp_session" not in session.cookies
    assert body == {
        "ok": False,
        "title": "Ошибка аутентификации",
        "serial": world["certs"][key].cert.serial_hex,
        "message": message,
    }


def test_a_replayed_challenge_is_refused(stack, world):
    first, _, used = attempt(stack, world["certs"]["ok256"])
    assert first.status_code == 200
    again, _, _ = attempt(stack, world["certs"]["ok256"], reuse=used)
    assert again.status_code == 403 and again.json()["message"] == messages.CHALLENGE_GONE


def test_logout_ends_the_session(stack, world):
    r, session, _ = attempt(stack, world["certs"]["ok256"])
    assert session.get(stack.base_url + "/api/v1/requests", timeout=30).status_code == 200
    out = session.post(
        stack.base_url + "/logout",
        allow_redirects=False,
        timeout=30,
        headers={"X-CSRF-Token": session.cookies.get("ozsp_csrf")},
    )  # CSRF: as the API
    assert out.status_code == 303 and out.headers["Location"].endswith("/login")
    after = requests.get(
        stack.base_url + "/api/v1/requests", timeout=30, cookies={"ozsp_session": r.cookies.get("ozsp_session")}
    )
    assert after.status_code == 401


def test_a_lookup_needs_the_session_of_the_user_its_csrf_token_names(stack, world, engine):
    """POST /api/v1/requests with a header token naming its user: the journal checks the session in the call that
    creates the request (csrf.writer_of). Another user's token, validly signed, or an ended session: nothing made."""
    from services.gateway.web import csrf
    from shared.config import Settings

    r, session, _ = attempt(stack, world["certs"]["ok256"])
    mine = session.cookies.get("ozsp_csrf")
    assert int(mine.partition("~")[0]) == world["users"]["ok256"]
    name, live = "ЧУЖОЙ-ТОКЕН-" + uuid.uuid4().hex[:6], r.cookies.get("ozsp_session")

    def post(token, sid=None):
        return requests.post(
            stack.base_url + "/api/v1/requests",
            json={"name": name, "enp": "5096989785000017"},
            cookies={"ozsp_session": sid or live, "ozsp_csrf": token},
            headers={"X-CSRF-Token": token},
            timeout=30,
        )

    theirs = csrf.new_token(Settings.secret_key, world["users"]["ok512"])  # the stack's (dev) key
    refused = post(theirs)
    assert refused.status_code == 403 and refused.json()["message"] == messages.CSRF_REFUSED
    assert post(mine).status_code == 201
    assert post(mine, sid="forged").status_code == 401
    session.post(stack.base_url + "/logout", headers={"X-CSRF-Token": mine}, allow_redirects=False, timeout=30)
    assert post(mine).status_code == 401
    with engine.connect() as conn:
        made = conn.execute(text("SELECT user_id FROM requests WHERE name = :n"), {"n": name}).scalars().all()
    assert made == [world["users"]["ok256"]]


def test_without_a_session_the_api_says_401_and_pages_go_to_login(stack):
    r = stack.anonymous("GET", "/api/v1/requests")
    assert r.status_code == 401 and r.json()["message"].startswith("Требуется вход по сертификату")
    page = stack.anonymous("GET", "/journal?status=sent", allow_redirects=False)
    assert page.status_code == 303 and page.headers["Location"] == "/login?next=%2Fjournal%3Fstatus%3Dsent"
    main = stack.anonymous("GET", "/", allow_redirects=False)  # the main page too: no «Выход» for strangers
    assert main.status_code == 303 and main.headers["Location"] == "/login?next=%2F"
    assert stack.anonymous("GET", "/login").status_code == 200
    forged = requests.get(stack.base_url + "/api/v1/requests", cookies={"ozsp_session": "forged"}, timeout=30)
    assert forged.status_code == 401


def test_login_calls_need_the_csrf_token(stack):
    r = requests.post(stack.base_url + "/login/challenge", json={}, timeout=30)
    assert r.status_code == 403


def test_every_attempt_is_audited_and_a_flood_is_refused(stack, world, engine):
    user = world["certs"]["ok256"]
    serial = user.cert.serial_hex
    with engine.begin() as conn:
        before = conn.execute(
            text("SELECT count(*) FROM audit WHERE action LIKE 'login.%' AND object_id = :s"), {"s": serial}
        ).scalar_one()
        attempt(stack, user)
        after = conn.execute(
            text("SELECT count(*) FROM audit WHERE action LIKE 'login.%' AND object_id = :s"), {"s": serial}
        ).scalar_one()
        assert after == before + 1
        limit = int(stack.env["LOGIN_ATTEMPTS_PER_MINUTE"])
        # attempts whose signature verified against this certificate (forged ones do not count: tests/security)
        conn.execute(
            text(
                "INSERT INTO audit (action, object_id, details) SELECT 'login.refused', :s, "
                '\'{"reason": "flood", "address": "h:0", "verified": true}\' '
                "FROM generate_series(1, :n)"
            ),
            {"s": serial, "n": limit},
        )
    r, _, _ = attempt(stack, user)
    assert r.status_code == 403 and r.json()["message"] == messages.LOGIN_TOO_MANY


def test_dev_stand_in_signs_only_in_dev_mode(stack):
    r = stack.anonymous("POST", "/dev/sign", json={"challenge": "ozsp-login-abc"})
    assert r.status_code == 200 and base64.b64decode(r.json()["signature"])


def test_gateway_refuses_production_with_a_test_ca(database_url, world):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "OZSP_MODE": "production",
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": database_url,
        "DEV_LOGIN": "",
        "CAPTCHA_TEST_MODE": "",
    }
    r = subprocess.run(
        [sys.executable, "-m", "services.cli", "run", "gateway"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode != 0 and "тестовый удостоверяющий центр" in r.stderr
