"""The one way the services open PostgreSQL."""

import time
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, exc

PING_IDLE_SECONDS = 1.0  # a pooled connection idle longer than this is pinged before use (services' pools)
_IDLE_SINCE = "ozsp.idle_since"


def engine(url: str | URL, **options: Any) -> Engine:
    """create_engine with hide_parameters: otherwise a failing statement's message carries its parameters —
    names, СНИЛС, policy numbers — into the logs and into RPC errors."""
    return create_engine(url, hide_parameters=True, **options)


def service_engine(url: str | URL, **options: Any) -> Engine:
    """engine() for a service's pool: a connection idle over PING_IDLE_SECONDS is pinged before use and replaced
    when the ping fails (a restarted PostgreSQL), as pool_pre_ping does for every checkout. A connection in steady
    use is not pinged: the ping is a round trip more per statement, on the path of every lookup (docs/benchmarks.md);
    if PostgreSQL restarts within that second, the first statement on it fails as PostgreSQL's own restart makes
    any statement in flight fail (an outage the callers handle), and SQLAlchemy then renews the whole pool."""
    made = engine(url, **options)

    @event.listens_for(made, "connect")
    def _connected(dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(made, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(made, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get(_IDLE_SINCE, 0.0) <= PING_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
        except made.dialect.loaded_dbapi.Error as error:  # the pool drops it and checks out another
            raise exc.DisconnectionError() from error

    return made
