"""An outage of the database or the broker logged as one event: a warning when it starts, a reminder every
REMIND_SECONDS, a line when it ends — not a traceback at every retry (the journal's dispatcher retries five
times a second, every chunk of answers comes back every 2 s)."""

import logging
import time
from collections.abc import Callable

import amqp.exceptions
import kombu.exceptions
from sqlalchemy.exc import InterfaceError, OperationalError

REMIND_SECONDS = 60.0
BROKER_ERRORS = (
    kombu.exceptions.OperationalError,
    amqp.exceptions.RecoverableConnectionError,
    amqp.exceptions.ConnectionError,
    ConnectionError,
    TimeoutError,
)


def database_away(exc: BaseException) -> bool:
    """The database unreachable, restarting or refusing connections (also a deadlock: tried again later)."""
    return isinstance(exc, (OperationalError, InterfaceError)) or bool(getattr(exc, "connection_invalidated", False))


def unavailable(exc: BaseException) -> bool:
    """The database or the broker away: the same work succeeds once it is back."""
    return database_away(exc) or isinstance(exc, BROKER_ERRORS)


def lock_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure (SQLSTATE 40P01, 40001): PostgreSQL ended one transaction; retried, it
    succeeds."""
    return getattr(getattr(exc, "orig", None), "pgcode", None) in ("40P01", "40001")


class Redeliver(Exception):
    """Raised by a consumer to have its message delivered again, once the cause is logged (QuietOutages keeps
    nameko from logging it again at every redelivery)."""


class QuietOutages(logging.Filter):
    """On every handler: a Redeliver is not logged again; an error of the database or the broker being away keeps
    its line but not its traceback, which says nothing new and would come with every call during an outage."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, Redeliver):
            return False
        if exc is not None and unavailable(exc):
            record.exc_info, record.exc_text = None, None
        return True


class Outage:
    """One per process and dependency user: `failed(exc)` at every failed try, `ok()` after a successful one."""

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        remind: float = REMIND_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log, self.what, self.remind, self.clock = log, what, remind, clock
        self.since: float | None = None
        self.reminded: float = 0.0
        self.failures = 0

    def failed(self, exc: BaseException) -> None:
        now = self.clock()
        self.failures += 1
        reason = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:200]}"
        if self.since is None:
            self.since = self.reminded = now
            self.log.warning(
                "%s: the database or the broker is unavailable (%s); trying again quietly", self.what, reason
            )
        elif now - self.reminded >= self.remind:
            self.reminded = now
            self.log.warning(
                "%s: still unavailable after %d s, %d tries (%s)", self.what, now - self.since, self.failures, reason
            )

    def ok(self) -> None:
        if self.since is not None:
            self.log.warning(
                "%s: available again after %d s, %d failed tries", self.what, self.clock() - self.since, self.failures
            )
            self.since = None
            self.failures = 0
