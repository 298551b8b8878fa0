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
from datetime import UTC, datetime

from shared.config import Settings

log = logging.getLogger(__name__)

UP, DEGRADED, DOWN = "up", "degraded", "down"
OK, REJECTED, UNAVAILABLE, LIMITED, AUTH = "ok", "rejected", "unavailable", "limited", "auth"


def utcnow():
    return datetime.now(UTC)


class MemoryStore:
    """The shared row kept in this process only: for tests, and while PostgreSQL is unreachable."""

    def __init__(self, clock=utcnow):
        self.clock = clock
        self.row = {"state": UP, "reason": None, "since": clock(), "probe_at": None, "degraded_until": None}

    def read(self):
        return dict(self.row)

    def trip(self, reason):
        """-> True when the state changed to down (or its reason changed)."""
        old = dict(self.row)
        if old["state"] != DOWN:
            self.row.update(state=DOWN, since=self.clock(), probe_at=self.clock())
        self.row["reason"] = reason
        return old["state"] != DOWN or old["reason"] != reason

    def report(self, degraded, window):
        now = self.clock()
        if degraded:
            until = now.timestamp() + window
            self.row["degraded_until"] = max(self.row["degraded_until"] or 0, until)
            if self.row["state"] == UP:
                self.row.update(state=DEGRADED, since=now)
        elif self.row["state"] == DEGRADED and (self.row["degraded_until"] or 0) < now.timestamp():
            self.row.update(state=UP, since=now, degraded_until=None)

    def claim_probe(self, interval):
        now = self.clock()
        if self.row["state"] != DOWN:
            return False
        if self.row["probe_at"] is not None and (now - self.row["probe_at"]).total_seconds() < interval:
            return False
        self.row["probe_at"] = now
        return True

    def recover(self):
        if self.row["state"] != DOWN:
            return False
        self.row.update(state=UP, reason=None, since=self.clock(), degraded_until=None)
        return True


class Circuit:
    def __init__(
        self,
        store,
        trip_failures=Settings.ferzl_trip_failures,
        degraded_ratio=Settings.ferzl_degraded_ratio,
        window=30.0,
        min_calls=10,
        probe_seconds=Settings.ferzl_probe_seconds,
        refresh=1.0,
        clock=time.monotonic,
    ):
        self.store, self.fallback = store, MemoryStore()
        self.trip_failures, self.degraded_ratio = trip_failures, degraded_ratio
        self.window, self.min_calls, self.probe_seconds, self.refresh = window, min_calls, probe_seconds, refresh
        self.clock = clock
        self.consecutive = 0
        self.events = deque()  # (monotonic time, failed)
        self.metrics = Counter()
        self._shared, self._read_at = None, None
        self._warned = None  # when the last "shared store unavailable" warning was logged

    # ---- what the process sees ----

    def state(self):
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

    def allows(self):
        return self.state()["state"] != DOWN

    # ---- what the process reports ----

    def record(self, kind):
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

    def trip(self, reason):
        changed = self._call("trip", reason)
        self._shared, self._read_at = None, None
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

    def failure_ratio(self):
        now = self.clock()
        while self.events and now - self.events[0][0] > self.window:
            self.events.popleft()
        calls = len(self.events)
        return (sum(1 for _, f in self.events if f) / calls) if calls >= self.min_calls else 0.0

    def sync(self):
        """Called about once a second: report degraded (or not), refresh the shared view."""
        self._call("report", self.failure_ratio() >= self.degraded_ratio, self.window)
        self._shared, self._read_at = None, None
        return self.state()

    # ---- probing while down ----

    def claim_probe(self):
        return self._call("claim_probe", self.probe_seconds)

    def recovered(self):
        self.consecutive = 0
        if self._call("recover"):
            log.warning("FERZL answers again: the circuit is up, held work resumes")
        self._shared, self._read_at = None, None

    def _call(self, name, *args):
        """The shared store, or this process's own memory while the shared store fails."""
        try:
            return getattr(self.store, name)(*args)
        except Exception as exc:
            if self._warned is None or self.clock() - self._warned > 60:  # once a minute, not once a call
                self._warned = self.clock()
                log.warning("shared FERZL state unavailable (%s); using this process's view", type(exc).__name__)
            return getattr(self.fallback, name)(*args)
