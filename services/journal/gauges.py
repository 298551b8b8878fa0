"""The system's state as Prometheus gauges (shared/metrics.py), read by every journal process every few seconds:
the dispatch backlog and in-flight count, unfinished groups, the CRLs' nearest expiry (PostgreSQL) and the queue
depths (RabbitMQ). A failed reading leaves the gauges as they were and is logged once per kind of failure."""

import logging
import math

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from services.journal import store
from shared import metrics
from shared.config import Settings
from shared.messages import ANSWERS_QUEUE, LETTERS_QUEUE, PARKED_QUEUE, WORK_QUEUE
from shared.queues import declared, parse_tiers, tier_name

log = logging.getLogger(__name__)

_BACKLOG = text(
    "SELECT count(*) FROM requests WHERE status = 'sent' "
    "AND (dispatched_at IS NULL OR dispatched_at < now() - make_interval(secs => :lease))"
)
_GROUPS = text(
    "SELECT count(*), coalesce(sum(total), 0), coalesce(sum(answered), 0), coalesce(sum(failed), 0) "
    "FROM groups WHERE finished_at IS NULL"
)
_CRL_EXPIRY = text(  # per active CA its newest CRL's nextUpdate; the nearest of them, in seconds from now
    "SELECT min(extract(epoch FROM n.next_update - now())) FROM ("
    "SELECT max(l.next_update) AS next_update FROM cas c JOIN crls l ON l.ca_id = c.id "
    "WHERE c.active GROUP BY c.id) n"
)


def queues(settings: Settings) -> list[str]:
    """The work, answers and delay queues of ФЕРЗЛ lookups, and certmail's letters and parked letters."""
    tiers = [tier_name(s) for s in parse_tiers(settings.ferzl_retry_tiers)]
    return [WORK_QUEUE, ANSWERS_QUEUE, *tiers, LETTERS_QUEUE, PARKED_QUEUE]


def read_database(conn: Connection, lease_seconds: float) -> None:
    metrics.DISPATCH_BACKLOG.set(conn.execute(_BACKLOG, {"lease": lease_seconds}).scalar_one())
    metrics.DISPATCH_IN_FLIGHT.set(store.in_flight(conn, lease_seconds))
    groups, total, answered, failed = (int(v) for v in conn.execute(_GROUPS).one())
    metrics.GROUPS_IN_PROGRESS.set(groups)
    for state, value in (("total", total), ("answered", answered), ("failed", failed)):
        metrics.GROUP_ROWS.labels(state=state).set(value)
    expiry: float | None = conn.execute(_CRL_EXPIRY).scalar_one()
    metrics.CRL_EXPIRES_SECONDS.set(math.nan if expiry is None else float(expiry))


def read_queues(settings: Settings) -> None:
    for name, (ready, _consumers) in declared(settings.amqp_uri, queues(settings)).items():
        metrics.QUEUE_DEPTH.labels(queue=name).set(ready)


class Gauges:
    """One per journal process: reads both sources, never raising."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.failing: set[str] = set()

    def update(self, engine: Engine) -> None:
        try:
            with engine.connect() as conn:
                read_database(conn, self.settings.dispatch_lease_seconds)
        except Exception as exc:
            self._failed("database", exc)
        else:
            self.failing.discard("database")
        try:
            read_queues(self.settings)
        except Exception as exc:
            self._failed("broker", exc)
        else:
            self.failing.discard("broker")

    def _failed(self, source: str, exc: Exception) -> None:
        if source not in self.failing:
            log.warning(
                "metrics from the %s not read (%s); the gauges keep their last values", source, type(exc).__name__
            )
        self.failing.add(source)
