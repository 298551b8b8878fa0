"""Delay tiers, jitter, the horizon and how an item's result becomes done / retry / hold."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.ferzl_bridge import lookup
from services.ferzl_bridge.retry import Tiers, past_horizon
from shared import queues
from shared.domain import Answer

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
HORIZON = timedelta(hours=24)


def item(**extra):
    return {"request_id": 1, "external_id": "00000000-0000-0000-0000-000000000001", "params": {}, **extra}


def test_tiers_grow_with_the_attempt_and_stop_at_the_longest():
    tiers = Tiers("600, 5,30,120")
    assert tiers.seconds == [5, 30, 120, 600]
    assert [tiers.for_attempt(a) for a in (1, 2, 3, 4, 5, 50)] == [5, 30, 120, 600, 600, 600]
    assert tiers.hold == 30 and Tiers("2").hold == 2


def test_jitter_stays_within_the_queue_ttl():
    tiers = Tiers("5,30", rng=random.Random(1))
    values = [tiers.expiration(30) for _ in range(1000)]
    assert min(values) >= 30 * 0.75 and max(values) <= 30 and len(set(values)) > 900


def test_queue_names_carry_their_ttl():
    assert [q.name for q in queues.delay_queues("0.5,5,120")] == [
        "ozsp.ferzl.retry.500ms",
        "ozsp.ferzl.retry.5s",
        "ozsp.ferzl.retry.120s",
    ]
    q = queues.delay_queue(0.5)
    assert q.queue_arguments == {
        "x-message-ttl": 500,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": "ozsp.ferzl.work",
        **queues.QUEUE_ARGUMENTS,  # x-queue-type: quorum in a run with QUEUE_TYPE=quorum (OZSP_TEST_QUEUE_TYPE)
    }
    assert queues.retry_queue.name == "ozsp.ferzl.retry.5s"  # the queue of earlier versions is still a tier
    with pytest.raises(ValueError):
        queues.parse_tiers("0,5")


def test_horizon():
    assert not past_horizon(None, NOW, HORIZON)
    assert not past_horizon((NOW - timedelta(hours=23)).isoformat(), NOW, HORIZON)
    assert past_horizon((NOW - timedelta(hours=25)).isoformat(), NOW, HORIZON)


def test_settle_done_retry_hold():
    outcome = lookup.answered(item(), Answer(oip="1"))
    assert lookup.settle(item(), "done", outcome, NOW, HORIZON) == ("done", outcome)
    kind, retry = lookup.settle(item(attempt=2), "retry", "unavailable", NOW, HORIZON)
    assert kind == "retry" and retry["attempt"] == 3 and retry["first_try_at"] == NOW.isoformat()
    kind, held = lookup.settle(item(attempt=2), "hold", "down", NOW, HORIZON)
    assert kind == "hold" and held["attempt"] == 2  # a hold is not a try
    kind, held = lookup.settle(item(attempt=2), "retry", "auth", NOW, HORIZON)
    assert kind == "hold" and held["attempt"] == 2


def test_past_the_horizon_a_retry_or_hold_fails_but_a_token_problem_waits():
    old = (NOW - timedelta(hours=30)).isoformat()
    for kind, reason in (("retry", "unavailable"), ("hold", "down"), ("hold", "rate")):
        disposition, outcome = lookup.settle(item(first_try_at=old), kind, reason, NOW, HORIZON)
        assert disposition == "done" and outcome["status"] == "error" and outcome["error_message"] == lookup.GAVE_UP
    assert lookup.settle(item(first_try_at=old), "hold", "auth", NOW, HORIZON)[0] == "hold"
