"""The journal's dispatch: pending requests published to ferzl_bridge in work chunks while fewer than the
dispatch window are in flight (docs/decisions.md). One Dispatcher per process (services.journal.dependencies):
it keeps the pacing of the sweeps and of the bridge count, and the outage log. No nameko here."""

import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection, Engine

from services.journal import store
from services.journal.pace import Pace
from shared import outage
from shared.config import Settings
from shared.messages import WORK_QUEUE
from shared.queues import declared

log = logging.getLogger(__name__)
MAX_CHUNKS_PER_TICK = 50  # at most this many chunks per dispatch, and never beyond the dispatch window
CLAIM_CHUNKS = 10  # chunks claimed and published in one transaction
SWEEP_SECONDS = 5.0  # how often a dispatch also claims by id whatever the fair order missed (store.claim_pending)
BRIDGES_SECONDS = 5.0  # how often the journal counts the bridge processes (the automatic dispatch window)

Publish = Callable[..., Any]  # the nameko Publisher's function: publish(body, routing_key=...)


class Dispatcher:
    """settings: CHUNK_SIZE, DISPATCH_LEASE_SECONDS, FERZL_CONCURRENCY, FERZL_RATE_LIMIT, DISPATCH_WINDOW, AMQP_URI."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sweep = Pace()  # the next sweeping dispatch
        self.count = Pace()  # the next count of the bridge processes
        self.bridges_seen = 1  # bridge processes consuming the work queue, as last counted
        self.backlog = True  # the last dispatch may have left pending requests (refill() runs only then)
        self.outage = outage.Outage(log, "dispatch of pending requests")

    def dispatch(self, engine: Engine, publish: Publish) -> None:
        """run(), never raising: an outage is logged once (the requests stay pending), anything else logged."""
        self._guarded(self.run, engine, publish)

    def refill(self, engine: Engine, publish: Publish) -> None:
        """dispatch() after answers freed room, unless the last dispatch of this process claimed everything
        pending: then there is nothing to refill with (an individual request goes out at its commit, new groups
        at their creation, and the 0.2 s timer's dispatch finds anything else)."""
        if self.backlog:
            self.dispatch(engine, publish)

    def dispatch_new(self, conn: Connection, publish: Publish, work: list[dict[str, Any]]) -> None:
        """Individual requests claimed at their creation (store.create_request with claim), committed: published at
        once in a chunk of their own (with confirms); never raising -- if the publish fails, they are given back to
        the timer's dispatch (store.unclaim), or, if even that fails, go out again once their lease runs out."""
        try:
            publish({"chunk_id": str(uuid.uuid4()), "items": work}, routing_key=WORK_QUEUE)
        except Exception as exc:
            self._failed(exc)
            try:
                store.unclaim(conn, [item["request_id"] for item in work])
                conn.commit()  # the caller's connection may be transactional (calls.subsystems): not rolled back
            except Exception:
                log.warning("new requests not given back after a failed publish; they go out when their lease ends")
        else:
            self.outage.ok()

    def _guarded(self, step: Callable[..., None], *args: Any) -> None:
        try:
            step(*args)
        except Exception as exc:
            self._failed(exc)
        else:
            self.outage.ok()

    def _failed(self, exc: Exception) -> None:
        self.backlog = True
        if outage.unavailable(exc):  # pending requests stay in the journal and go out once it is back
            self.outage.failed(exc)
        else:
            log.exception("dispatch failed; pending requests stay in the journal and are retried")

    def bridges(self) -> int:
        """How many bridge processes take work (consumers of the work queue), counted every BRIDGES_SECONDS; the
        automatic dispatch window is one bridge's prefetch times this. Only when DISPATCH_WINDOW is automatic."""
        if self.settings.dispatch_window <= 0 and self.count.due(BRIDGES_SECONDS):
            try:
                self.bridges_seen = max(1, declared(self.settings.amqp_uri, [WORK_QUEUE])[WORK_QUEUE][1])
            except Exception as exc:  # the broker away: keep the last count; the publish will tell
                log.warning("bridge processes not counted (%s); the dispatch window stays", type(exc).__name__)
        return self.bridges_seen

    def run(self, engine: Engine, publish: Publish) -> None:
        """Publish pending requests while fewer than the dispatch window are in flight. Each transaction counts
        what is in flight, claims at most the room left (CLAIM_CHUNKS chunks), publishes with confirms and
        commits; a failed publish rolls back only that claim."""
        s = self.settings
        size, lease = s.chunk_size, s.dispatch_lease_seconds
        window = store.dispatch_window(
            size, s.ferzl_concurrency, lease, s.ferzl_rate_limit, s.dispatch_window, self.bridges()
        )
        budget = MAX_CHUNKS_PER_TICK * size
        sweep = self.sweep.due(SWEEP_SECONDS)
        while budget > 0:
            with engine.begin() as conn:
                room, waiting = store.dispatch_turn(conn, window, lease)
                limit = min(room, budget, CLAIM_CHUNKS * size)
                if limit <= 0:
                    self.backlog = waiting  # no room: what is pending waits for answers to free some
                    return
                items = store.claim_pending(conn, limit, lease, sweep)
                for chunk in store.dispatch_chunks(items, size):
                    publish({"chunk_id": str(uuid.uuid4()), "items": chunk}, routing_key=WORK_QUEUE)
            budget -= len(items)
            if len(items) < limit:
                self.backlog = False  # everything pending was claimed
                return
        self.backlog = True
