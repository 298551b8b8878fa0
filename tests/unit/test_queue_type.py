"""QUEUE_TYPE: classic or quorum queues for work, answers, retries and letters (shared/queues.py)."""

import pytest

from shared import config, queues


def test_quorum_queues_carry_their_type_and_classic_ones_nothing():
    assert queues.type_arguments("quorum") == {"x-queue-type": "quorum"}
    assert queues.type_arguments("classic") == {}


def test_the_queues_of_this_process_follow_the_setting():
    expected = queues.type_arguments(config.load().queue_type)
    assert queues.work_queue.queue_arguments == expected and queues.answers_queue.queue_arguments == expected
    delay = queues.delay_queue(5)
    assert {k: delay.queue_arguments[k] for k in expected} == expected
    assert delay.queue_arguments["x-dead-letter-routing-key"] == queues.WORK_QUEUE


def test_an_unknown_queue_type_is_refused_in_russian():
    with pytest.raises(config.SettingError, match="QUEUE_TYPE: classic или quorum"):
        config.load({"QUEUE_TYPE": "mirrored"})
    assert config.load({"QUEUE_TYPE": "quorum"}).queue_type == "quorum"
