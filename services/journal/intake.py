"""Answers from ferzl_bridge as they come off the queue: the message checked, the chunk stored
(services.journal.answers), an outage logged once per process, a message that cannot be stored now sent back.
One AnswerIntake per process, held by services.journal.dependencies.Intake."""

import logging
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from marshmallow import ValidationError
from sqlalchemy.engine import Engine

from services.journal import answers
from shared import dead, outage
from shared.messages import load_outcome_chunk

log = logging.getLogger(__name__)
AWAY_PAUSE = 2.0  # seconds a failed chunk waits before it goes back while the database is away (no hot loop)


class Finished(NamedTuple):
    """What one answers message finished: individual requests (their pages wait) and whole groups."""

    requests: list[int]
    groups: list[int]


class AnswerIntake:
    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep
        self.outage = outage.Outage(log, "storing answers from ferzl_bridge")

    def take(self, engine: Engine, body: Any, bury: Callable[[Any, str], object] | None = None) -> Finished | None:
        """Store one answers message -> the individual requests and the groups it finished (pages and subsystems
        are told; the answers freed room in the dispatch window), or None when it was malformed: bury(body, reason)
        keeps it (ozsp.dead). Raises outage.Redeliver when the database is away or a lock conflict ended the
        transaction: the message comes back and is stored then (storing is idempotent)."""
        try:
            chunk = load_outcome_chunk(body)
        except ValidationError as exc:
            reason = dead.schema_reason(exc.messages)
            if bury is None:
                log.error("malformed answers message dropped: %s", reason)
            else:
                log.error("malformed answers message kept in %s: %s", dead.DEAD_QUEUE, reason)
                bury(body, reason)
            return None
        try:
            result = answers.store_chunk(engine, chunk)
        except Exception as exc:  # only the database away or a lock conflict (services.journal.answers)
            if outage.lock_conflict(exc):
                log.warning(
                    "chunk %s met another transaction (%s); it will be redelivered",
                    chunk["chunk_id"],
                    type(getattr(exc, "orig", exc)).__name__,
                )
            else:
                self.outage.failed(exc)
                self.sleep(AWAY_PAUSE)  # no hot loop while the database is away
            raise outage.Redeliver(chunk["chunk_id"]) from None
        self.outage.ok()
        if result["duplicates"]:
            log.info("chunk %s: %s repeated answers ignored", chunk["chunk_id"], result["duplicates"])
        return Finished(list(result["singles"]), list(result["groups"]))
