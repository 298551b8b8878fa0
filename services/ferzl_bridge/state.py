"""Infrastructure state the bridge processes share: the circuit row in PostgreSQL, queue depths in RabbitMQ.

The row ferzl_circuit (id = 1) of migration 0003 holds state, reason, since, probe_at and
degraded_until; every statement is one short UPDATE or SELECT.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from services.ferzl_bridge.circuit import DOWN, UP
from shared.queues import declared

_TRIP = text(
    "UPDATE ferzl_circuit c SET state = 'down', reason = :reason, "
    "  since = CASE WHEN o.state = 'down' THEN o.since ELSE now() END, "
    "  probe_at = CASE WHEN o.state = 'down' THEN o.probe_at ELSE now() END, updated_at = now() "
    "FROM (SELECT state, reason, since, probe_at FROM ferzl_circuit WHERE id = 1 FOR UPDATE) o "
    "WHERE c.id = 1 RETURNING o.state AS old_state, o.reason AS old_reason"
)
_DEGRADED = text(
    "UPDATE ferzl_circuit SET degraded_until = GREATEST(COALESCE(degraded_until, now()), "
    "  now() + make_interval(secs => :window)), "
    "  since = CASE WHEN state = 'up' THEN now() ELSE since END, "
    "  state = CASE WHEN state = 'up' THEN 'degraded' ELSE state END, updated_at = now() WHERE id = 1"
)
_HEALTHY = text(
    "UPDATE ferzl_circuit SET state = 'up', since = now(), degraded_until = NULL, updated_at = now() "
    "WHERE id = 1 AND state = 'degraded' AND degraded_until < now()"
)
_PROBE = text(
    "UPDATE ferzl_circuit SET probe_at = now() WHERE id = 1 AND state = 'down' "
    "  AND (probe_at IS NULL OR probe_at <= now() - make_interval(secs => :interval)) RETURNING id"
)
_RECOVER = text(
    "UPDATE ferzl_circuit SET state = 'up', reason = NULL, since = now(), degraded_until = NULL, "
    "  updated_at = now() WHERE id = 1 AND state = 'down' RETURNING id"
)


class PgCircuitStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def read(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT state, reason, since FROM ferzl_circuit WHERE id = 1")).first()
        if row is None:
            raise LookupError("ferzl_circuit has no row; run ozsp migrate")
        return {"state": row.state, "reason": row.reason, "since": row.since}

    def trip(self, reason: str) -> bool:
        with self.engine.begin() as conn:
            row = conn.execute(_TRIP, {"reason": reason}).first()
        return row is not None and (row.old_state != DOWN or row.old_reason != reason)

    def report(self, degraded: bool, window: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(_DEGRADED if degraded else _HEALTHY, {"window": float(window)})

    def claim_probe(self, interval: float) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(_PROBE, {"interval": float(interval)}).first() is not None

    def recover(self) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(_RECOVER).first() is not None


def view(state: Mapping[str, Any]) -> dict[str, Any]:
    """The state for get_state(): since as ISO text."""
    since: Any = state.get("since")
    return {
        "state": state.get("state") or UP,
        "reason": state.get("reason"),
        "since": since.isoformat() if hasattr(since, "isoformat") else since,
    }


def queue_depths(amqp_uri: str, names: Iterable[str], timeout: float = 3) -> dict[str, int]:
    """{queue: ready messages} (unacknowledged messages are not counted)."""
    return {name: ready for name, (ready, _) in declared(amqp_uri, names, timeout).items()}
