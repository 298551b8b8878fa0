"""A chunk of answers with something PostgreSQL refuses (services.journal.answers): the good answers are stored,
the bad one ends its request in «Ошибка», nothing raises — so the message is acknowledged, not redelivered for
ever. The database away raises: the message comes back later. Real PostgreSQL, no broker."""

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from services.journal import answers, store
from shared.messages import load_outcome_chunk, pack_archive
from shared.params import FIELDS
from tests import support

pytestmark = pytest.mark.integration

ME = store.Identity(user_id=1, organization_id=1)


def create(engine, n):
    with engine.begin() as conn:
        return [
            store.create_request(
                conn, ME, {f: None for f in FIELDS} | {"name": f"ОТВЕТ{i}", "enp": "5072360829000830"}
            )["id"]
            for i in range(n)
        ]


def outcome(request_id, answered_at="2026-11-26T10:00:00+00:00", message=None):
    return {
        "request_id": request_id,
        "status": "error" if message else "answered",
        "answered_at": answered_at,
        "answer": None if message else {"enp": "5072360829000830", "policy": None, "attachments": []},
        "error_code": "409" if message else None,
        "error_message": message,
    }


def chunk(outcomes, held=(), archive=True):
    entries = [
        {
            "request_ids": [o["request_id"]],
            "operation": "getPersonData",
            "at": o["answered_at"],
            "http_status": 200,
            "duration_ms": 1,
            "request": b"<q/>",
            "response": b"<a/>",
        }
        for o in outcomes
    ]
    return load_outcome_chunk(
        {
            "chunk_id": str(uuid.uuid4()),
            "outcomes": outcomes,
            "held": list(held),
            "archive": [pack_archive(entries)] if archive else [],
        }
    )


def states(engine, ids):
    with engine.connect() as conn:
        rows = (
            conn.execute(
                text("SELECT id, status, error_code, error_message FROM requests WHERE id = ANY(:ids)"), {"ids": ids}
            )
            .mappings()
            .all()
        )
    return {r["id"]: dict(r) for r in rows}


def test_a_whole_chunk_is_stored_in_one_go(quiet_engine):
    ids = create(quiet_engine, 3)
    assert answers.store_chunk(quiet_engine, chunk([outcome(i) for i in ids])) == {
        "stored": 3,
        "duplicates": 0,
        "singles": ids,
        "groups": [],
        "refused": 0,
    }
    assert {s["status"] for s in states(quiet_engine, ids).values()} == {"answered"}
    assert answers.store_chunk(quiet_engine, chunk([outcome(i) for i in ids]))["duplicates"] == 3


@pytest.mark.parametrize(
    "bad",
    [
        {"answered_at": "2026-13-45T99:00:00"},  # a date PostgreSQL does not take
        {"message": "нулевой символ \x00 в тексте"},  # text PostgreSQL does not take (NUL)
    ],
    ids=["date", "nul"],
)
def test_an_answer_the_database_refuses_ends_in_error_and_the_others_are_stored(quiet_engine, bad, caplog):
    ids = create(quiet_engine, 3)
    result = answers.store_chunk(quiet_engine, chunk([outcome(ids[0]), outcome(ids[1], **bad), outcome(ids[2])]))
    assert result == {"stored": 3, "duplicates": 0, "singles": ids, "groups": [], "refused": 1}
    found = states(quiet_engine, ids)
    assert found[ids[0]]["status"] == found[ids[2]]["status"] == "answered"
    assert found[ids[1]]["status"] == "error" and found[ids[1]]["error_message"] == answers.NOT_STORED
    assert f"answer to request #{ids[1]} not stored (DataError)" in caplog.text
    with quiet_engine.connect() as conn:  # the chunk's archive kept all the same
        assert (
            conn.execute(
                text("SELECT count(*) FROM ferzl_archive WHERE request_ids && CAST(:ids AS bigint[])"), {"ids": ids}
            ).scalar_one()
            == 1
        )


def test_delays_the_database_refuses_cost_nothing_else(quiet_engine):
    ids = create(quiet_engine, 2)
    result = answers.store_chunk(
        quiet_engine, chunk([outcome(ids[0])], held=[{"request_id": ids[1], "seconds": 1e300}])
    )
    assert result["stored"] == 1 and states(quiet_engine, ids)[ids[1]]["status"] == "sent"


def test_the_database_away_raises_so_the_message_comes_back(settings):
    away = create_engine(
        f"postgresql+psycopg2://nobody@127.0.0.1:{support.free_port()}/none", connect_args={"connect_timeout": 2}
    )
    with pytest.raises(OperationalError):
        answers.store_chunk(away, chunk([outcome(1)]))


def test_the_journal_service_acknowledges_a_chunk_with_a_refused_answer(stack, engine):
    """Through RabbitMQ: the chunk is consumed once, its good answers stored, the bad one «Ошибка»; the answers
    queue is empty afterwards (before, the message came back every 2 s for ever)."""
    from kombu import Connection

    from shared.messages import ANSWERS_QUEUE
    from shared.queues import declared
    from tests.support import wait_for

    ids = create(engine, 3)
    with engine.begin() as conn:  # leased far ahead: the dispatcher leaves them to this test
        conn.execute(
            text("UPDATE requests SET dispatched_at = now() + interval '1 hour' WHERE id = ANY(:ids)"), {"ids": ids}
        )
    body = {
        "chunk_id": str(uuid.uuid4()),
        "held": [],
        "archive": [],
        "outcomes": [outcome(ids[0]), outcome(ids[1], message="NUL \x00"), outcome(ids[2])],
    }
    with Connection(stack.env["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(body, routing_key=ANSWERS_QUEUE, delivery_mode=2)
    wait_for(lambda: "sent" not in {s["status"] for s in states(engine, ids).values()}, 30, 0.2, "the answers")
    found = states(engine, ids)
    assert [found[i]["status"] for i in ids] == ["answered", "error", "answered"]
    assert found[ids[1]]["error_message"] == answers.NOT_STORED
    assert declared(stack.env["AMQP_URI"], [ANSWERS_QUEUE])[ANSWERS_QUEUE][0] == 0
