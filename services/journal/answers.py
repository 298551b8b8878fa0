"""A chunk of answers from ferzl_bridge into the journal: whole when it can be, answer by answer when the
database refuses something in it — one bad answer never blocks the chunk, nor loops in the queue for ever.

Errors of the database being away or of a lock conflict (deadlock, serialization) are raised: the message is
redelivered and the same chunk succeeds later (storing is idempotent). Any other error is the chunk's own
(a date or text PostgreSQL does not take, a bug): retrying the message would fail the same way every time.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from services.journal import archive, held, store
from shared.domain import Outcome
from shared.outage import database_away

log = logging.getLogger(__name__)
T = TypeVar("T")

NOT_STORED = "Ответ ФЕРЗЛ не сохранён в журнале (внутренняя ошибка). Направьте запрос повторно."


def store_chunk(engine: Engine, chunk: dict[str, Any]) -> dict[str, Any]:
    """Store a loaded shared.messages.OutcomeChunk -> {"stored", "duplicates", "singles", "groups", "refused"}
    (store.store_outcomes); raises only transient errors."""
    try:
        with engine.begin() as conn:
            archive.store(conn, chunk["archive"])  # the raw ФЕРЗЛ exchanges, with their answers
            # last: a group's counters are one row, locked from here to the commit by each chunk of the group
            result = {**store.store_outcomes(conn, chunk["outcomes"]), "refused": 0}
    except Exception as exc:
        if database_away(exc):
            raise
        log.error(
            "answers of chunk %s refused as a whole (%s); they are stored one by one",
            chunk["chunk_id"],
            type(exc).__name__,
        )
        result = _one_by_one(engine, chunk)
    if chunk["held"]:
        _quietly(engine, "delays of chunk " + chunk["chunk_id"], held.touch, chunk["held"])
    return result


def _one_by_one(engine: Engine, chunk: dict[str, Any]) -> dict[str, Any]:
    totals: dict[str, Any] = {"stored": 0, "duplicates": 0, "singles": [], "groups": [], "refused": 0}
    _quietly(engine, "archive of chunk " + chunk["chunk_id"], archive.store, chunk["archive"])
    for outcome in chunk["outcomes"]:
        done = _quietly(engine, f"answer to request #{outcome.request_id}", store.store_outcomes, [outcome])
        if done is None:  # what the bridge sent cannot be stored: the request ends in «Ошибка», not in a loop
            totals["refused"] += 1
            done = _quietly(
                engine,
                f"error of request #{outcome.request_id}",
                store.store_outcomes,
                [refused(outcome.request_id)],
            ) or {"stored": 0, "duplicates": 0, "singles": [], "groups": []}
        totals["stored"] += done["stored"]
        totals["duplicates"] += done["duplicates"]
        totals["singles"] += done["singles"]
        totals["groups"] += done["groups"]
    totals["singles"].sort()
    return totals


def refused(request_id: int) -> Outcome:
    return Outcome.failed(request_id, "internal", NOT_STORED, datetime.now(UTC).isoformat())


def _quietly(engine: Engine, what: str, step: Callable[[Connection, Any], T], data: Any) -> T | None:
    """step(conn, data) in a transaction of its own -> its result; None when the database refused it."""
    try:
        with engine.begin() as conn:
            return step(conn, data)
    except Exception as exc:
        if database_away(exc):
            raise
        log.error("%s not stored (%s)", what, type(exc).__name__)
        return None
