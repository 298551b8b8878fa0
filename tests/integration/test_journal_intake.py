"""services.journal.intake: an answers message from the queue, stored on a real PostgreSQL; dropped when
malformed; sent back (outage.Redeliver) when the database is away or a lock conflict ended the transaction."""

import logging
import uuid

import pytest
from sqlalchemy import create_engine

from services.journal import answers
from services.journal.intake import AWAY_PAUSE, AnswerIntake
from shared import outage
from tests.integration.test_journal_answers import create, outcome, states

pytestmark = pytest.mark.integration

AWAY = "postgresql+psycopg2://nobody@127.0.0.1:1/none"


def body(outcomes):
    return {"chunk_id": str(uuid.uuid4()), "outcomes": outcomes, "held": [], "archive": []}


def test_a_message_is_stored_and_a_repeat_changes_nothing(quiet_engine, caplog):
    ids = create(quiet_engine, 2)
    message, intake = body([outcome(i) for i in ids]), AnswerIntake()
    assert intake.take(quiet_engine, message) == (ids, [])  # individual requests: their pages are told
    assert {s["status"] for s in states(quiet_engine, ids).values()} == {"answered"}
    with caplog.at_level(logging.INFO):
        assert intake.take(quiet_engine, message) == ([], [])  # nothing finished again
    assert "2 repeated answers ignored" in caplog.text


def test_a_malformed_message_is_kept_with_its_reason(quiet_engine, caplog):
    kept = []
    assert AnswerIntake().take(quiet_engine, {"chunk_id": 1}, lambda body, reason: kept.append((body, reason))) is None
    assert kept and kept[0][0] == {"chunk_id": 1} and ": " in kept[0][1], kept
    assert "malformed answers message kept in ozsp.dead" in caplog.text


def test_a_malformed_message_is_dropped(quiet_engine, caplog):
    assert AnswerIntake().take(quiet_engine, {"chunk_id": 1}) is None
    assert "malformed answers message dropped" in caplog.text


def test_the_database_away_sends_the_message_back_after_a_pause():
    pauses = []
    intake = AnswerIntake(sleep=pauses.append)
    for _ in range(2):
        with pytest.raises(outage.Redeliver):
            intake.take(create_engine(AWAY), body([outcome(1)]))
    assert pauses == [AWAY_PAUSE, AWAY_PAUSE] and intake.outage.failures == 2


def test_a_lock_conflict_sends_the_message_back_at_once(quiet_engine, monkeypatch):
    class Deadlock(Exception):
        orig = type("Orig", (), {"pgcode": "40P01"})()

    def conflict(engine, chunk):
        raise Deadlock()

    monkeypatch.setattr(answers, "store_chunk", conflict)
    pauses = []
    intake = AnswerIntake(sleep=pauses.append)
    with pytest.raises(outage.Redeliver):
        intake.take(quiet_engine, body([outcome(1)]))
    assert pauses == [] and intake.outage.failures == 0
