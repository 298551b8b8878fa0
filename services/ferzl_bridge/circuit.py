"""ФЕРЗЛ availability as all bridge processes see it: up, degraded or down, since when, and why.

Each process counts its own calls; the verdict lives in one shared row (PostgreSQL, see state.py), so
every process and the web banner agree:
  down     -- `trip_failures` unavailable answers in a row (timeouts, connection errors, 5xx,
              errorItem 500), or the token refused (reason "auth", an ALARM). While down nobody calls
              ФЕРЗЛ except one probe every `probe_seconds` (whichever process claims it first); a probe
              that gets any real answer brings the state back up.
  degraded -- at least `degraded_ratio` of the calls of the last `window` seconds failed (incl. 429).
              Calls go on; it returns to up when no process has seen that for `window` seconds.
  up       -- otherwise.
"""

import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.config import Settings

log = logging.getLogger(__name__)

UP, DEGRADED, DOWN = "up", "degraded", "down"
OK, REJECTED, UNAVAILABLE, LIMITED, AUTH = "ok", "rejected", "unavailable", "limited", "auth"


class Store(Protocol):
    """The row all bridge processes share (state.PgCircuitStore; MemoryStore in one process)."""

    def read(self) -> dict[str, Any]: ...
    def trip(self, reason: str) -> bool: ...
    def report(self, degraded: bool, window: float) -> None: ...
    def claim_probe(self, interval: float) -> bool: ...
    def recover(self) -> bool: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


class MemoryStore:
    """The shared row kept in this process only: for tests, and while PostgreSQL is unreachable."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock
        self.row: dict[str, Any] = {
            "state": UP,
            "reason": None,
            "since": clock(),
            "probe_at": None,
            "degraded_until": None,
        }

    def read(self) -> dict[str, Any]:
        return dict(self.row)

    def trip(self, reason: str) -> bool:
        """-> True when the state changed to down (or its reason changed)."""
        old = dict(self.row)
        if old["state"] != DOWN:
            self.row.update(state=DOWN, since=self.clock(), probe_at=self.clock())
        self.row["reason"] = reason
        return old["state"] != DOWN or old["reason"] != reason

    def report(self, degraded: bool, window: float) -> None:
        now = self.clock()
        if degraded:
            until = now.timestamp() + window
            self.row["degraded_until"] = max(self.row["degraded_until"] or 0, until)
            if self.row["state"] == UP:
                self.row.update(state=DEGRADED, since=now)
        elif self.row["state"] == DEGRADED and (self.row["degraded_until"] or 0) < now.timestamp():
            self.row.update(state=UP, since=now, degraded_until=None)

    def claim_probe(self, interval: float) -> bool:
        now = self.clock()
        if self.row["state"] != DOWN:
            return False
        if self.row["probe_at"] is not None and (now - self.row["probe_at"]).total_seconds() < interval:
            return False
        self.row["probe_at"] = now
        return True

    def recover(self) -> bool:
        if self.row["state"] != DOWN:
            return False
        self.row.update(state=UP, reason=None, since=self.clock(), degraded_until=None)
        return True


class Circuit:
    def __init__(
        self,
        store: Store,
        trip_failures: int = Settings.ferzl_trip_failures,
        degraded_ratio: float = Settings.ferzl_degraded_ratio,
        window: float = 30.0,
        min_calls: int = 10,
        probe_seconds: float = Settings.ferzl_probe_seconds,
        refresh: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.fallback = store, MemoryStore()
        self.trip_failures, self.degraded_ratio = trip_failures, degraded_ratio
        self.window, self.min_calls, self.probe_seconds, self.refresh = window, min_calls, probe_seconds, refresh
        self.clock = clock
        self.consecutive = 0
        self.events: deque[tuple[float, bool]] = deque()  # (monotonic time, failed)
        self.metrics: Counter[str] = Counter()
        self._shared: dict[str, Any] | None = None
        self._read_at = 0.0
        self._warned: float | None = None  # when the last "shared store unavailable" warning was logged

    # ---- what the process sees ----

    def state(self) -> dict[str, Any]:
        """{"state", "reason", "since"}: the shared row, read at most every `refresh` seconds."""
        now = self.clock()
        if self._shared is None or now - self._read_at >= self.refresh:
            if self._shared is not None:
                self._read_at = now  # one reader: the other green threads keep the current view meanwhile
            new = self._call("read")
            if self._shared is not None and self._shared["state"] == DOWN and new["state"] != DOWN:
                self.consecutive = 0  # up again (a probe somewhere succeeded): count failures afresh
            self._shared, self._read_at = new, now
        return self._shared

    def allows(self) -> bool:
        return self.state()["state"] != DOWN

    # ---- what the process reports ----

    def record(self, kind: str) -> None:
        """One call's result: ok, rejected (a real answer), unavailable, limited (429) or auth."""
        self.metrics[kind] += 1
        now = self.clock()
        if kind in (OK, REJECTED):
            self.consecutive = 0
            self.events.append((now, False))
        elif kind == UNAVAILABLE:
            down = self.state()["state"] == DOWN  # first: seeing a recovery restarts the count
            self.consecutive += 1
            self.events.append((now, True))
            if self.consecutive >= self.trip_failures and not down:
                self.trip(UNAVAILABLE)
        elif kind == LIMITED:
            self.events.append((now, True))
        elif kind == AUTH:
            current = self.state()
            if current["state"] != DOWN or current["reason"] != AUTH:
                self.trip(AUTH)

    def trip(self, reason: str) -> None:
        changed = self._call("trip", reason)
        self._shared, self._read_at = None, 0.0
        self.state()
        if changed and reason == AUTH:
            self.metrics["auth_alarms"] += 1
            log.error(
                "ALARM: FERZL refused the token (HTTP 401/403): all calls stopped, work stays queued "
                "until the token is fixed"
            )
        elif changed:
            log.error(
                "FERZL is down after %d failed calls in a row; work is held, probing every %g s",
                self.trip_failures,
                self.probe_seconds,
            )

    def failure_ratio(self) -> float:
        now = self.clock()
        while self.events and now - self.events[0][0] > self.window:
            self.events.popleft()
        calls = len(self.events)
        return (sum(1 for _, f in self.events if f) / calls) if calls >= self.min_calls else 0.0

    def sync(self) -> dict[str, Any]:
        """Called about once a second: report degraded (or not), refresh the shared view."""
        self._call("report", self.failure_ratio() >= self.degraded_ratio, self.window)
        self._shared, self._read_at = None, 0.0
        return self.state()

    # ---- probing while down ----

    def claim_probe(self) -> bool:
        return self._call("claim_probe", self.probe_seconds)

    def recovered(self) -> None:
        self.consecutive = 0
        if self._call("recover"):
            log.warning("FERZL answers again: the circuit is up, held work resumes")
        self._shared, self._read_at = None, 0.0

    def _call(self, name: str, *args: Any) -> Any:
        """The shared store, or this process's own memory while the shared store fails."""
        try:
            return getattr(self.store, name)(*args)
        except Exception as exc:
            if self._warned is None or self.clock() - self._warned > 60:  # once a minute, not once a call
                self._warned = self.clock()
                log.warning("shared FERZL state unavailable (%s); using this process's view", type(exc).__name__)
            return getattr(self.fallback, name)(*args)
