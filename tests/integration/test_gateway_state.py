"""The gateway's per-process state lives in PostgreSQL (#21): hit windows and kept group files, through the
journal's RPC bodies, and two gateway processes behaving as one (one shared limit, a file kept by one and used by
the other)."""

import contextlib
import html
import os
import re
import subprocess
import time

import pytest
import requests
from sqlalchemy import text

from services.gateway.pages import captcha
from services.gateway.pages.individual import CAPTCHA_REFRESH_PER_MINUTE
from services.journal import gateway_state
from services.journal.calls import gateway_state as calls
from services.supervisor import command, wait_http
from tests import support
from tests.group_support import by_enp, file_bytes

pytestmark = pytest.mark.integration


def test_a_key_gets_its_limit_per_window_and_keys_are_apart(quiet_engine):
    key = support.unique_name("hit")
    assert [calls.rate_hit(quiet_engine, key, 3, 1) for _ in range(5)] == [True, True, True, False, False]
    assert calls.rate_hit(quiet_engine, key + "-other", 3, 1)
    time.sleep(1.2)  # the window of one second is over: a new one starts
    assert calls.rate_hit(quiet_engine, key, 3, 1)
    with quiet_engine.connect() as conn:
        assert conn.execute(text("SELECT hits FROM rate_windows WHERE key = :k"), {"k": key}).scalar_one() == 1


def test_the_limit_holds_under_concurrent_hits(quiet_engine):
    from concurrent.futures import ThreadPoolExecutor

    key = support.unique_name("race")
    with ThreadPoolExecutor(8) as pool:
        allowed = list(pool.map(lambda _: calls.rate_hit(quiet_engine, key, 10, 60), range(40)))
    assert allowed.count(True) == 10


def test_a_kept_file_goes_back_to_its_user_only_and_not_for_ever(quiet_engine):
    import base64

    token = calls.keep_upload(quiet_engine, 7, "Список.csv", base64.b64encode(b"a;b\r\n").decode())
    assert calls.kept_upload(quiet_engine, 7, token) == {"filename": "Список.csv", "content_b64": "YTtiDQo="}
    assert calls.kept_upload(quiet_engine, 8, token) is None
    assert (
        calls.kept_upload(quiet_engine, 7, "../../etc/passwd") is None
        and calls.kept_upload(quiet_engine, 7, None) is None
    )
    assert calls.keep_upload(quiet_engine, 7, "x.csv", "not base64!") is None
    with quiet_engine.connect() as conn:  # only a hash of the bearer token is stored
        assert conn.execute(text("SELECT count(*) FROM kept_uploads WHERE token_hash = :t"), {"t": token}).scalar() == 0
    calls.discard_kept_upload(quiet_engine, 8, token)  # another user's discard does nothing
    assert calls.kept_upload(quiet_engine, 7, token) is not None
    calls.discard_kept_upload(quiet_engine, 7, token)
    assert calls.kept_upload(quiet_engine, 7, token) is None

    old = calls.keep_upload(quiet_engine, 7, "old.csv", "eA==")
    with quiet_engine.begin() as conn:
        conn.execute(
            text("UPDATE kept_uploads SET created_at = now() - make_interval(secs => :s)"),
            {"s": gateway_state.KEPT_TTL + 1},
        )
    assert calls.kept_upload(quiet_engine, 7, old) is None
    with quiet_engine.begin() as conn:
        gateway_state.purge(conn)  # calls.purge: the same, by one journal copy per turn
    with quiet_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM kept_uploads")).scalar_one() == 0


@contextlib.contextmanager
def second_gateway(stack):
    """One more gateway process on the stack's broker, on a port of its own; -> its base URL."""
    port = support.free_port()
    env = {**stack.sup.env, "WEB_ADDRESS": f"127.0.0.1:{port}", "METRICS_COPIES": "0"}
    proc = subprocess.Popen(
        command("gateway"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_http(base + "/api/v1/health", 90, proc), "the second gateway did not start"
        yield base
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()


def test_two_gateways_share_one_limit(stack, engine):
    """Anonymous «Обновить» hits from one address, alternating between the two gateways: CAPTCHA_REFRESH_PER_MINUTE
    in all, not per process."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rate_windows WHERE key LIKE 'captcha_refresh:address:%'"))
    with second_gateway(stack) as other:
        bases = [stack.base_url, other]
        statuses = [
            requests.get(bases[n % 2] + "/individual/captcha", timeout=10).status_code
            for n in range(CAPTCHA_REFRESH_PER_MINUTE + 4)
        ]
    assert statuses[:CAPTCHA_REFRESH_PER_MINUTE] == [401] * CAPTCHA_REFRESH_PER_MINUTE
    assert statuses[CAPTCHA_REFRESH_PER_MINUTE:] == [429] * 4


def _form(page):
    def field(name):
        m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', page
        )
        return html.unescape(m.group(1)) if m else None

    answer = re.search(r'data-answer="([^"]+)"', page).group(1)
    return field("csrf_token"), field("captcha_id"), answer, field("kept_upload")


def _wrong(answer):
    return "".join(captcha.ALPHABET[(captcha.ALPHABET.index(c) + 1) % len(captcha.ALPHABET)] for c in answer)


def test_a_file_kept_by_one_gateway_is_used_by_the_other(stack):
    person = stack.samples(1)[0]
    http = stack.http  # signed in; the session and CSRF cookies go to both ports of 127.0.0.1
    with second_gateway(stack) as other:
        page = http.get(stack.base_url + "/group", timeout=30).text
        csrf_token, captcha_id, answer, _ = _form(page)
        content = file_bytes([by_enp("RQ1", person)])
        first = http.post(
            stack.base_url + "/group",
            data={"csrf_token": csrf_token, "name": "два шлюза", "captcha_id": captcha_id, "captcha": _wrong(answer)},
            files={"file": ("два шлюза.csv", content, "text/csv")},
            timeout=30,
        )
        assert first.status_code == 422, first.text[:500]
        csrf_token, captcha_id, answer, kept = _form(first.text)
        assert kept, "the file was not kept"
        second = http.post(
            other + "/group",
            data={
                "csrf_token": csrf_token,
                "name": "два шлюза",
                "captcha_id": captcha_id,
                "captcha": answer,
                "kept_upload": kept,
            },
            allow_redirects=False,
            timeout=30,
        )
        assert second.status_code == 303, second.text[:500]
        assert "/group/journal?created=" in second.headers["Location"]
