"""The journal killed, the broker restarted, the database away — each while requests are in flight: every request
is answered exactly once, each answer is its own request's, and the service answers new requests afterwards.
(The bridge killed: tests/integration/test_no_loss.py and test_bridge_faults.py.)

The broker and database tests are destructive: they run only with OZSP_DESTRUCTIVE_TESTS=1 (make
test-destructive, .ci/run), the broker one on a RabbitMQ node and a database of its own (private_stack)."""

import concurrent.futures
import os
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.gateway import messages
from tests.support import wait_for

pytestmark = pytest.mark.integration

N = 120


def submit(stack, people, name):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(lambda p: stack.api("POST", "/api/v1/requests", json={"name": name, "enp": p["enp"]}), people)
        )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201][:3]
    return {r.json()["id"]: p["enp"] for r, p in zip(responses, people)}


def counts(engine, ids):
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text("SELECT status, count(*) FROM requests WHERE id = ANY(:ids) GROUP BY status"), {"ids": list(ids)}
            ).all()
        )


def through(stack, engine, disrupt, name):
    """N requests by the API with ФЕРЗЛ answering in 2.5–3.5 s; `disrupt` once the first are answered and most are
    still in flight; then every one answered exactly once, and one more request answered by the API."""
    expected = {}
    stack.set_knobs(latency_ms=3000, latency_jitter_ms=500)  # longer than submitting N at once takes
    try:
        expected = submit(stack, stack.samples(N), name)
        wait_for(lambda: counts(engine, expected).get("answered", 0) > 0, 60, 0.05, "the first answers")
        assert counts(engine, expected).get("sent", 0) > N // 2, "too late to prove anything"
        disrupt()
        wait_for(lambda: counts(engine, expected).get("answered", 0) == N, 180, 0.5, "every request answered")
    finally:
        stack.set_knobs(latency_ms=0, latency_jitter_ms=0)
    with engine.connect() as conn:
        history = dict(
            conn.execute(
                text(
                    "SELECT request_id, count(*) FROM request_history WHERE event IN ('answered', 'error') "
                    "AND request_id = ANY(:ids) GROUP BY request_id"
                ),
                {"ids": list(expected)},
            ).all()
        )
        answers = dict(
            conn.execute(
                text("SELECT id, answer->>'enp' FROM requests WHERE id = ANY(:ids)"), {"ids": list(expected)}
            ).all()
        )
    assert history == {i: 1 for i in expected}, "each request answered exactly once"
    assert answers == expected, "each answer belongs to its own request"
    after = wait_for(lambda: _one_more(stack, name), 90, 1.0, "a new request accepted after the disruption")
    wait_for(lambda: counts(engine, after).get("answered", 0) == 1, 60, 0.2, "the new request answered")


def _one_more(stack, name):
    try:
        response = stack.api("POST", "/api/v1/requests", json={"name": name, "enp": stack.samples(1)[0]["enp"]})
    except Exception:  # the gateway itself reconnecting
        return None
    return [response.json()["id"]] if response.status_code == 201 else None


def test_journal_killed_mid_flight(stack, engine):
    def disrupt():
        stack.sup.kill("journal")  # SIGKILL: answers wait in their queue, claims in flight keep their lease
        time.sleep(1)
        stack.sup.start("journal")

    through(stack, engine, disrupt, "журнал-убит")


def _log_from(stack):
    """-> a function giving the lines one service wrote to the stack's log (tests/conftest.py) since now."""
    path = stack.log_path
    start = os.path.getsize(path)

    def lines(service):
        with open(path, encoding="utf-8", errors="replace") as f:
            f.seek(start)
            return [line for line in f if line.startswith(f"[{service}]")]

    return lines


@pytest.mark.destructive
def test_broker_restarted_mid_flight(private_stack):
    """The bridge's chunks whose answers cannot be published while the broker is away come back once it is up;
    the bridge says so once (shared.outage), not with an error line per chunk. Only the private node restarts."""
    stack, node = private_stack, private_stack.node
    logged = _log_from(stack)

    def disrupt():
        node.stop_app()
        try:
            time.sleep(2)
        finally:
            node.start_app()

    engine = create_engine(stack.env["DATABASE_URL"])
    try:
        through(stack, engine, disrupt, "брокер-перезапущен")
    finally:
        engine.dispose()
    bridge = logged("ferzl_bridge")
    assert not [line for line in bridge if "error handling worker" in line and "handle_work" in line], bridge[-20:]
    outages = [line for line in bridge if "publishing answers to the journal" in line]
    assert len([line for line in outages if "unavailable" in line]) <= 1, outages
    assert not outages or "available again" in outages[-1], outages


@pytest.mark.destructive
def test_database_away_mid_flight(stack, engine, database_url):
    """Every connection to the run's own database cut and none allowed for 5 s, as in a restart of PostgreSQL.
    The journal logs the outage once and its end, not a traceback at every retry (shared.outage)."""
    name = make_url(database_url).database
    logged = _log_from(stack)
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")

    seen = {}

    def disrupt():
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            try:
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": name}
                )
                started = time.monotonic()
                seen["api"] = stack.api("GET", "/api/v1/requests")  # users meanwhile: «try later», not a 500
                seen["page"] = stack.api("GET", "/individual")
                seen["login"] = stack.anonymous("POST", "/login/challenge", json={})
                time.sleep(max(0.0, 5 - (time.monotonic() - started)))
            finally:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    try:
        through(stack, engine, disrupt, "база-недоступна")
    finally:
        admin.dispose()
    assert (seen["api"].status_code, seen["api"].json()["message"]) == (503, messages.API_UNAVAILABLE)
    assert seen["page"].status_code == 503 and messages.UNAVAILABLE in seen["page"].text
    assert seen["login"].status_code in (403, 503)  # no CSRF cookie here: refused before the journal is asked
    journal = logged("journal")
    said = "".join(journal)
    assert "dispatch of pending requests: the database or the broker is unavailable" in said
    assert "dispatch of pending requests: available again after" in said
    assert "storing answers from ferzl_bridge: available again after" in said
    assert not any("Traceback" in line for line in journal), said[-3000:]
