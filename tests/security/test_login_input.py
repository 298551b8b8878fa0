"""Issue 17 §2, against the running stack: login input is bounded, the CMS is checked off the gateway's event loop,
and the login limits cannot be turned against a user."""

import base64
import json
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import text

from services.gateway import messages
from services.journal import directory as D
from tests.security.attack import client, csrf_header, forged, login_attempt, stuffed_cms

pytestmark = pytest.mark.integration

KB = 1024


def raw_post(stack, path, declared, sent=64 * KB, headers=b""):
    """POST declaring `declared` body bytes but sending only `sent` of them; -> (status line, headers, seconds,
    whether the server closed the connection)."""
    host, port = stack.base_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(
            b"POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n%s\r\n" % (path.encode(), host.encode(), port.encode(), declared, headers)
        )
        try:
            sock.sendall(b"x" * sent)
        except OSError:  # the server may close before all of it went out
            pass
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        elapsed = time.monotonic() - started
        closed = False
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    closed = True
                    break
        except OSError:
            closed = True
    head = answer.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    return head[0], head[1:], elapsed, closed


@pytest.mark.parametrize(
    "path, limit",
    [
        ("/login/challenge", 4 * KB),
        ("/dev/sign", 4 * KB),
        ("/logout", 4 * KB),
        ("/login", 64 * KB),
        ("/individual", 64 * KB),
        ("/api/v1/requests", 1024 * KB),
    ],
)
def test_a_body_over_the_route_limit_is_refused_413_before_it_is_read(stack, path, limit):
    status, headers, elapsed, closed = raw_post(stack, path, 20 * 1024 * KB)
    assert status.split()[1] == "413" and "Connection: close" in headers and closed and elapsed < 2, (status, headers)
    status, _, _, _ = raw_post(stack, path, limit + 1, sent=limit + 1)
    assert status.split()[1] == "413"


def test_bodies_within_the_limits_and_the_group_upload_are_as_before(stack):
    session = requests.Session()
    headers = csrf_header(session, stack)
    padded = {"padding": "x" * (3 * KB)}  # a login call may carry a few KB
    challenge = session.post(stack.base_url + "/login/challenge", json=padded, headers=headers, timeout=30)
    assert challenge.status_code == 200
    big = stack.api("POST", "/api/v1/requests", json={"name": "x" * (900 * KB)})  # under 1 MB: read, ФЛК answers
    assert big.status_code == 422
    upload = stack.api(
        "POST",
        "/api/v1/groups",
        data={"name": "большой"},
        files={"file": ("g.csv", b"x" * (21 * 1024 * KB), "text/csv")},
    )
    assert upload.status_code == 413 and upload.json()["error"] == "too_big"  # group upload: 20 MB, as before


def test_a_body_of_unknown_length_is_refused_411(stack):
    def chunks():
        for _ in range(100):
            yield b"x" * (64 * KB)

    r = requests.post(
        stack.base_url + "/login", data=chunks(), headers={"Content-Type": "application/json"}, timeout=30
    )
    assert r.status_code == 411 and "Content-Length" in r.json()["message"]


def probe_health(stack, until, seconds_after=0.3):
    """Latencies (s) of /api/v1/health asked back to back until until() is true, and a moment longer."""
    session, times, stop_at = requests.Session(), [], None
    while stop_at is None or time.monotonic() < stop_at:
        started = time.monotonic()
        assert session.get(stack.base_url + "/api/v1/health", timeout=30).status_code == 200
        times.append(time.monotonic() - started)
        if stop_at is None and until():
            stop_at = time.monotonic() + seconds_after
    return times


def health_bound(stack):
    """100 ms — or, on a machine loaded by others, twice the slowest answer in the half second before the attack
    (health asks flk and journal over RabbitMQ). A blocked event loop shows as one answer as slow as the blocking
    work: seconds."""
    calm = probe_health(stack, lambda: True, seconds_after=0.5)
    return max(0.1, 2 * max(calm))


def attack_in_background(stack, signature):
    """POST /login with this signature (base64) in a thread; -> (thread, result dict: status, body, seconds)."""
    result = {}
    session = requests.Session()
    headers = csrf_header(session, stack)
    issued = session.post(stack.base_url + "/login/challenge", json={}, headers=headers, timeout=30).json()

    body = json.dumps({"challenge_id": issued["id"], "signature": signature}).encode()  # not in the thread: the
    # test's own GIL would slow the health probes beside it

    def send():
        started = time.monotonic()
        try:
            r = session.post(
                stack.base_url + "/login",
                data=body,
                timeout=120,
                headers={**headers, "Content-Type": "application/json"},
            )
            result.update(status=r.status_code, body=r.json())
        except requests.ConnectionError as exc:  # the server closed while the body was still going out
            result.update(status=None, error=str(exc))
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=send)
    thread.start()
    return thread, result


def test_a_20_mb_cms_is_refused_in_milliseconds_while_health_answers_under_100_ms(stack, pki):
    """The reported attack: a well-formed 20 MB CMS with huge signed attributes froze the gateway for 49 s."""
    der = stuffed_cms(pki["users"]["victim"], b"ozsp-login-anything", attributes=20000, blob=19 * 1024 * KB)
    assert len(der) > 19 * 1024 * KB
    bound = health_bound(stack)
    thread, result = attack_in_background(stack, base64.b64encode(der).decode())
    times = probe_health(stack, lambda: not thread.is_alive())
    thread.join()
    assert result["status"] == 413 and result["seconds"] < 1.0, result
    assert max(times) < bound, f"health answered in {max(times) * 1000:.0f} ms during the attack"


def test_a_cms_stuffed_within_the_body_limit_is_refused_in_milliseconds(stack, pki):
    """Under the 64 KB body limit, thousands of signed attributes are refused before they are parsed."""
    der = stuffed_cms(pki["users"]["victim"], b"ozsp-login-anything", attributes=2000)
    signature = base64.b64encode(der).decode()
    assert 40 * KB < len(signature) < 63 * KB
    bound = health_bound(stack)
    thread, result = attack_in_background(stack, signature)
    times = probe_health(stack, lambda: not thread.is_alive())
    thread.join()
    assert result["status"] == 403 and result["body"]["message"] == messages.LOGIN_REASONS["malformed"], result
    assert result["seconds"] < max(0.5, bound) and max(times) < bound, (result["seconds"], max(times), bound)


def test_forged_attempts_with_a_victims_certificate_do_not_lock_the_victim_out(stack, pki):
    """Anyone may hold a user's public certificate: attempts whose signature does not verify against it do not
    count for it. The per-address limit still stops the attacker's address."""
    victim = pki["users"]["victim"]
    limit = int(stack.env["LOGIN_ATTEMPTS_PER_MINUTE"])
    sessions = [client("127.0.17.2") for _ in range(4)]  # four at a time, like a script would
    with ThreadPoolExecutor(len(sessions)) as pool:
        answers = list(pool.map(lambda n: login_attempt(stack, sessions[n % 4], forged(victim)), range(limit)))
    assert all(
        r.status_code == 403 and r.json()["message"] == messages.LOGIN_REASONS["bad_signature"] for r in answers
    ), {r.json()["message"] for r in answers}
    first, second = sessions[0], client("127.0.17.3")
    stopped = login_attempt(stack, first, forged(victim))  # the attacker's address: its limit holds
    assert stopped.status_code in (403, 429) and stopped.json()["message"] == messages.LOGIN_TOO_MANY
    for _ in range(5):  # more forged attempts than the certificate's limit, from another address
        assert login_attempt(stack, second, forged(victim)).json()["message"] == messages.LOGIN_REASONS["bad_signature"]
    honest = login_attempt(stack, client("127.0.17.4"), victim.sign_challenge)
    assert honest.status_code == 200 and honest.json()["ok"], honest.text


def test_verified_attempts_still_count_for_the_certificate(stack, pki, engine):
    """A flood of attempts that did verify against the certificate still locks it (the limit per certificate)."""
    user = pki["users"]["hashed"]
    limit = int(stack.env["LOGIN_ATTEMPTS_PER_MINUTE"])
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit (action, object_id, details) SELECT 'login.ok', :s, "
                '\'{"reason": "ok", "address": "h:elsewhere", "verified": true}\' '
                "FROM generate_series(1, :n)"
            ),
            {"s": user.cert.serial_hex, "n": limit},
        )
    try:
        r = login_attempt(stack, client("127.0.17.5"), user.sign_challenge)
        assert r.status_code == 403 and r.json()["message"] == messages.LOGIN_TOO_MANY
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM audit WHERE object_id = :s AND details->>'address' = 'h:elsewhere'"),
                {"s": user.cert.serial_hex},
            )


def test_live_challenges_are_capped_for_all_anonymous_callers_together(stack, engine):
    cap = 1000  # LOGIN_CHALLENGES_MAX default
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO auth_challenges (challenge, expires_at) SELECT 'ozsp-login-flood', "
                "now() + interval '2 minutes' FROM generate_series(1, :n)"
            ),
            {"n": cap},
        )
    try:
        session = client("127.0.17.6")
        r = session.post(stack.base_url + "/login/challenge", json={}, headers=csrf_header(session, stack), timeout=30)
        assert r.status_code == 503 and "слишком много попыток входа" in r.json()["message"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM auth_challenges WHERE challenge = 'ozsp-login-flood'"))
    r = session.post(stack.base_url + "/login/challenge", json={}, headers=csrf_header(session, stack), timeout=30)
    assert r.status_code == 200 and r.json()["challenge"]


def test_challenges_from_one_address_are_limited_without_a_login_attempt(stack):
    session = client("127.0.17.8")
    headers = csrf_header(session, stack)
    limit = int(stack.env["LOGIN_ATTEMPTS_PER_MINUTE"])
    codes = [
        session.post(stack.base_url + "/login/challenge", json={}, headers=headers, timeout=30).status_code
        for _ in range(limit + 1)
    ]
    assert codes[:limit] == [200] * limit and codes[-1] == 429


def test_expired_challenges_and_finished_sessions_are_purged(stack, engine):
    old = datetime.now(UTC) - timedelta(days=3)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO auth_challenges (challenge, created_at, expires_at) VALUES ('ozsp-login-expired', :t, :t)"
            ),
            {"t": old},
        )
        conn.execute(
            text(
                "INSERT INTO sessions (token_hash, user_id, organization_id, created_at, last_seen_at, "
                "ended_at) VALUES ('purge-me', 1, 1, :t, :t, :t), ('abandoned', 1, 1, :t, :t, NULL)"
            ),
            {"t": old},
        )
        live = conn.execute(
            text("SELECT count(*) FROM sessions WHERE ended_at IS NULL AND created_at > now() - interval '1 hour'")
        ).scalar_one()
        dropped = D.purge_login_state(conn, absolute_hours=12)  # what the journal's timer runs every 10 minutes
        assert dropped[0] >= 1 and dropped[1] >= 2
        left = conn.execute(
            text("SELECT count(*) FROM sessions WHERE token_hash IN ('purge-me', 'abandoned')")
        ).scalar()
        assert (
            left == 0
            and not conn.execute(text("SELECT 1 FROM auth_challenges WHERE challenge = 'ozsp-login-expired'")).first()
        )
        assert (
            conn.execute(
                text("SELECT count(*) FROM sessions WHERE ended_at IS NULL AND created_at > now() - interval '1 hour'")
            ).scalar_one()
            == live
        )  # live sessions stay
    assert stack.api("GET", "/api/v1/requests").status_code == 200


def test_withdrawing_a_certificate_ends_its_live_sessions(stack, pki, database_url):
    user = pki["users"]["withdrawn"]
    session = client("127.0.17.9")
    assert login_attempt(stack, session, user.sign_challenge).status_code == 200
    assert session.get(stack.base_url + "/api/v1/requests", timeout=30).status_code == 200
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "directory", "cert-withdraw", user.cert.serial_hex],
        env={**stack.env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "завершено сеансов: 1" in done.stdout, done.stdout + done.stderr
    assert session.get(stack.base_url + "/api/v1/requests", timeout=30).status_code == 401
    again = login_attempt(stack, client("127.0.17.9"), user.sign_challenge)
    assert again.status_code == 403 and again.json()["message"] == messages.CERTIFICATE_WITHDRAWN
