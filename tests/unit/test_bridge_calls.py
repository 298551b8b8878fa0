"""The bridge's call workers: results in order, at most `size` calls at once across callers, errors to the caller,
workers that end when idle and come back with new calls."""

import eventlet
import pytest

from services.ferzl_bridge.calls import CallWorkers


def test_results_in_order_and_never_more_than_size_at_once():
    workers, busy, peak = CallWorkers(3), [0], [0]

    def call(n):
        busy[0] += 1
        peak[0] = max(peak[0], busy[0])
        eventlet.sleep(0.001 * (n % 4))
        busy[0] -= 1
        return n * n

    callers = [eventlet.spawn(workers.map, call, range(k, k + 20)) for k in (0, 100, 200)]
    assert [c.wait() for c in callers] == [[n * n for n in range(k, k + 20)] for k in (0, 100, 200)]
    assert peak[0] == 3


def test_an_error_reaches_its_caller_and_the_worker_goes_on():
    workers = CallWorkers(1)

    def call(n):
        if n == 2:
            raise ValueError("broken")
        return n

    with pytest.raises(ValueError):
        workers.map(call, [1, 2, 3])
    assert workers.map(call, [4, 5]) == [4, 5]


def test_idle_workers_end_and_new_calls_start_them_again():
    workers = CallWorkers(4, idle=0.05)
    assert workers.map(lambda n: n + 1, range(10)) == list(range(1, 11))
    assert workers.running == 4
    eventlet.sleep(0.2)
    assert workers.running == 0
    assert workers.map(lambda n: -n, [1, 2]) == [-1, -2]
