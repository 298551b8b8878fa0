"""Kill the bridge with SIGKILL while requests are in flight: every request is answered exactly once."""

import concurrent.futures

import pytest
from sqlalchemy import text

from tests.support import wait_for

pytestmark = pytest.mark.integration

N = 200


def test_bridge_killed_mid_flight_loses_nothing_and_answers_once(stack, engine):
    people = stack.samples(N)
    stack.set_knobs(latency_ms=400, latency_jitter_ms=100)
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            responses = list(
                pool.map(
                    lambda p: stack.api("POST", "/api/v1/requests", json={"name": "no-loss", "enp": p["enp"]}), people
                )
            )
        assert all(r.status_code == 201 for r in responses)
        ids = [r.json()["id"] for r in responses]
        expected = {r.json()["id"]: p["enp"] for r, p in zip(responses, people)}

        def counts():
            with engine.connect() as conn:
                return dict(
                    conn.execute(
                        text("SELECT status, count(*) FROM requests WHERE id = ANY(:ids) GROUP BY status"), {"ids": ids}
                    ).all()
                )

        wait_for(lambda: counts().get("answered", 0) > 0, 30, 0.05, "the first answers")
        stack.sup.kill("ferzl_bridge")
        in_flight = counts().get("sent", 0)
        assert in_flight > 0, "the kill came too late to prove anything"

        stack.sup.start("ferzl_bridge")
        wait_for(lambda: counts().get("answered", 0) == N, 90, 0.2, "all requests answered after the restart")
    finally:
        stack.set_knobs(latency_ms=0, latency_jitter_ms=0)

    with engine.connect() as conn:
        history = dict(
            conn.execute(
                text(
                    "SELECT request_id, count(*) FROM request_history WHERE event = 'answered' AND request_id = ANY(:ids) "
                    "GROUP BY request_id"
                ),
                {"ids": ids},
            ).all()
        )
        answers = dict(
            conn.execute(text("SELECT id, answer->>'enp' FROM requests WHERE id = ANY(:ids)"), {"ids": ids}).all()
        )
    assert history == {i: 1 for i in ids}, "each request answered exactly once"
    assert answers == expected, "each answer belongs to its own request"
