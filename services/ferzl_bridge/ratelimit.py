"""A rate limit (calls per second) shared by every bridge process: a token bucket in PostgreSQL.

Each process takes tokens in small batches (about a tenth of a second's worth, at most 20) with one
UPDATE, and hands them out to its green threads locally, so the database sees a few statements a
second, not one per call. Local tokens not used within LOCAL_TTL seconds are dropped, so a process
cannot hoard them. The bucket holds at most a fifth of a second's worth (burst): ФЕРЗЛ sees at most
about 1.2 x the rate in any one second.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
LOCAL_TTL = 1.0
BUCKET = "ferzl"
Clock = Callable[[], float]


class Bucket(Protocol):
    def take(self, n: int, rate: float, burst: float) -> tuple[int, float]:
        """-> (granted, available before the take)."""
        ...


def sizes(rate: float) -> tuple[int, float]:
    """(batch, burst) for a rate: tokens taken per round trip, bucket capacity."""
    batch = max(1, min(20, int(rate / 10)))
    burst = max(float(batch), rate / 5)
    return batch, burst


class MemoryBucket:
    """The same bucket in this process: for tests and when PostgreSQL is unreachable."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self.tokens: float | None = None
        self.at = 0.0

    def take(self, n: int, rate: float, burst: float) -> tuple[int, float]:
        """-> (granted, available before the take)."""
        now = self.clock()
        if self.tokens is None:
            self.tokens, self.at = burst, now
        avail = min(burst, self.tokens + rate * (now - self.at))
        granted = min(n, max(int(avail), 0))
        self.tokens, self.at = avail - granted, now
        return granted, avail


class SharedBucket:
    """The bucket row ferzl_bucket(name, tokens, updated_at) of migration 0003."""

    SQL = text(
        "WITH b AS (SELECT LEAST(:burst, tokens + :rate * EXTRACT(EPOCH FROM clock_timestamp() - updated_at)) "
        "  AS avail FROM ferzl_bucket WHERE name = :name FOR UPDATE) "
        "UPDATE ferzl_bucket SET tokens = b.avail - LEAST(:n, GREATEST(floor(b.avail), 0)), "
        "  updated_at = clock_timestamp() FROM b WHERE ferzl_bucket.name = :name "
        "RETURNING LEAST(:n, GREATEST(floor(b.avail), 0))::int AS granted, b.avail::float AS avail"
    )

    def __init__(self, engine: Engine, name: str = BUCKET) -> None:
        self.engine, self.name = engine, name

    def take(self, n: int, rate: float, burst: float) -> tuple[int, float]:
        with self.engine.begin() as conn:
            row = conn.execute(self.SQL, {"n": n, "rate": rate, "burst": burst, "name": self.name}).first()
            if row is None:  # first use: a full bucket
                conn.execute(
                    text(
                        "INSERT INTO ferzl_bucket (name, tokens, updated_at) "
                        "VALUES (:name, :burst, clock_timestamp()) ON CONFLICT (name) DO NOTHING"
                    ),
                    {"name": self.name, "burst": burst},
                )
                return 0, 0.0
            return int(row.granted), float(row.avail)


class Limiter:
    """acquire(deadline) -> True when a call may go now, False when it could not within the deadline."""

    def __init__(
        self,
        bucket: Bucket,
        rate: float,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        fallback: Bucket | None = None,
    ) -> None:
        self.bucket, self.rate = bucket, float(rate)
        self.batch, self.burst = sizes(self.rate) if self.rate > 0 else (0, 0.0)
        self.clock, self.sleep = clock, sleep
        self.fallback = fallback or MemoryBucket(clock)
        self.tokens, self.until = 0, 0.0
        self.lock = threading.Lock()  # green under monkey patching: one refill at a time
        self.granted = 0  # tokens this process took (metrics)
        self._warned: float | None = None

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def acquire(self, deadline: float) -> bool:
        if not self.enabled:
            return True
        while True:
            if self._take_local():
                return True
            with self.lock:
                if self._take_local():
                    return True
                granted, avail = self._refill()
                if granted:
                    self.tokens, self.until = granted - 1, self.clock() + LOCAL_TTL
                    self.granted += granted
                    return True
            wait = max((1.0 - max(avail, 0.0)) / self.rate, 0.001)
            if self.clock() + wait > deadline:
                return False
            self.sleep(wait)

    def _take_local(self) -> bool:
        if self.tokens > 0 and self.clock() < self.until:
            self.tokens -= 1
            return True
        return False

    def _refill(self) -> tuple[int, float]:
        try:
            return self.bucket.take(self.batch, self.rate, self.burst)
        except Exception as exc:
            if self._warned is None or self.clock() - self._warned > 60:
                self._warned = self.clock()
                log.warning("shared rate limit unavailable (%s); limiting this process alone", type(exc).__name__)
            return self.fallback.take(self.batch, self.rate, self.burst)
