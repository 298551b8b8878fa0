"""The circuit: trips after failures in a row or at once on a refused token, degrades on a failure
ratio, one probe per interval, back up on recovery; a failing shared store falls back to memory."""

import logging
from datetime import UTC, datetime, timedelta

from services.ferzl_bridge.circuit import (
    AUTH,
    DEGRADED,
    DOWN,
    LIMITED,
    OK,
    REJECTED,
    UNAVAILABLE,
    UP,
    Circuit,
    MemoryStore,
)


class Clock:
    def __init__(self):
        self.t = 1000.0
        self.wall = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self):
        return self.t

    def utc(self):
        return self.wall + timedelta(seconds=self.t)


def circuit(**kw):
    clock = Clock()
    store = MemoryStore(clock.utc)
    return Circuit(store, clock=clock, refresh=0.0, **kw), store, clock


def test_trips_after_n_unavailable_in_a_row_and_a_real_answer_resets_the_count():
    c, store, _ = circuit(trip_failures=3)
    for kind in (UNAVAILABLE, UNAVAILABLE, REJECTED, UNAVAILABLE, UNAVAILABLE):
        c.record(kind)
    assert c.allows()
    c.record(UNAVAILABLE)
    assert not c.allows() and c.state()["state"] == DOWN and c.state()["reason"] == UNAVAILABLE


def test_a_refused_token_trips_at_once_and_raises_the_alarm(caplog):
    c, _, _ = circuit()
    with caplog.at_level(logging.ERROR):
        c.record(AUTH)
        c.record(AUTH)
    assert c.state()["state"] == DOWN and c.state()["reason"] == AUTH
    assert c.metrics["auth_alarms"] == 1
    assert sum("ALARM" in r.message for r in caplog.records) == 1  # once per transition, not per call


def test_degraded_on_a_failure_ratio_and_back_up_after_the_window():
    c, _, clock = circuit(degraded_ratio=0.2, window=30, min_calls=10)
    for n in range(20):
        c.record(LIMITED if n % 4 == 0 else OK)  # 25 % failed
    assert c.sync()["state"] == DEGRADED
    since = c.state()["since"]
    clock.t += 10
    for _ in range(10):
        c.record(OK)
    assert c.sync()["state"] == DEGRADED and c.state()["since"] == since  # still within the window
    clock.t += 31
    for _ in range(10):
        c.record(OK)
    c.sync()
    clock.t += 31
    assert c.sync()["state"] == UP


def test_few_calls_do_not_make_a_ratio():
    c, _, _ = circuit(min_calls=10)
    c.record(LIMITED)
    assert c.sync()["state"] == UP


def test_one_probe_per_interval_and_recovery():
    c, store, clock = circuit(trip_failures=1, probe_seconds=5)
    other = Circuit(store, clock=clock, refresh=0.0, probe_seconds=5)  # a second process, same row
    assert not c.claim_probe()  # nothing to probe while up
    c.record(UNAVAILABLE)
    clock.t += 5
    assert c.claim_probe() and not other.claim_probe()
    clock.t += 5
    assert other.claim_probe()
    other.recovered()
    assert c.allows() and c.state()["state"] == UP


class BrokenStore:
    def __getattr__(self, name):
        def fail(*args):
            raise ConnectionError("database away")

        return fail


def test_a_broken_shared_store_falls_back_to_this_processes_view():
    c = Circuit(BrokenStore(), trip_failures=2, refresh=0.0)
    assert c.allows()
    c.record(UNAVAILABLE)
    c.record(UNAVAILABLE)
    assert not c.allows()


def test_recovery_seen_from_another_process_restarts_the_count():
    c, store, clock = circuit(trip_failures=3)
    other = Circuit(store, clock=clock, refresh=0.0, trip_failures=3)
    for _ in range(5):
        other.record(UNAVAILABLE)  # its own run of failures, the state went down
    assert c.state()["state"] == DOWN
    c.recovered()  # c's probe succeeded
    other.record(UNAVAILABLE)
    other.record(UNAVAILABLE)
    assert other.allows(), "two failures after a recovery are not three in a row"
    other.record(UNAVAILABLE)
    assert not other.allows()


def test_one_green_thread_reads_the_shared_state_while_the_others_keep_the_current_view():
    import eventlet

    class SlowStore(MemoryStore):
        reads = 0

        def read(self):
            SlowStore.reads += 1
            eventlet.sleep(0.01)  # a database round trip
            return super().read()

    clock = Clock()
    c = Circuit(SlowStore(clock.utc), clock=clock, refresh=1.0)
    c.state()
    clock.t += 2.0  # the view is stale: 50 calls at once want it refreshed
    pool = eventlet.GreenPool(50)
    states = list(pool.imap(lambda _: c.state()["state"], range(50)))
    assert states == [UP] * 50 and SlowStore.reads == 2
