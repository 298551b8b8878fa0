"""A letter that cannot be finished: which delay queue it waits in, and when it is parked instead."""

import pytest

from services.certmail import retry

BODY = {"letter_id": "L1", "received_at": "2026-11-26T10:00:00+00:00", "raw_b64": "AA=="}


def test_attempts_walk_up_the_tiers_and_stay_on_the_last():
    body, seen = dict(BODY), []
    for _ in range(5):
        queue, body = retry.next_step(body, "10,60,600", 30)
        seen.append((queue, body["attempt"]))
    assert seen == [
        ("ozsp.certmail.letters.retry.10s", 1),
        ("ozsp.certmail.letters.retry.60s", 2),
        ("ozsp.certmail.letters.retry.600s", 3),
        ("ozsp.certmail.letters.retry.600s", 4),
        ("ozsp.certmail.letters.retry.600s", 5),
    ]
    assert {k: body[k] for k in BODY} == BODY  # the letter itself travels unchanged


@pytest.mark.parametrize("limit, parked_at", [(3, 3), (1, 1), (0, 1)])
def test_parked_after_the_last_allowed_try(limit, parked_at):
    body = dict(BODY)
    for attempt in range(1, parked_at + 1):
        queue, body = retry.next_step(body, "0.5", limit)
        assert (queue == retry.PARKED_QUEUE) == (attempt == parked_at)


def test_retry_queues_dead_letter_back_into_the_letters_queue():
    queues = retry.retry_queues("60,10")
    assert [q.name for q in queues] == ["ozsp.certmail.letters.retry.10s", "ozsp.certmail.letters.retry.60s"]
    assert {q.queue_arguments["x-dead-letter-routing-key"] for q in queues} == {"ozsp.certmail.letters"}
    assert [q.queue_arguments["x-message-ttl"] for q in queues] == [10000, 60000]
