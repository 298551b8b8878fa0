"""bench/bridge.py's account of the register's time: on a CPU, waiting for one, idle, between two instants."""

import os

from bench.bridge import RegisterSampler, register_shares, register_time


def test_shares_split_the_wall_time():
    # 7.5 + 1 > 8 s: the counters' rounding, idle is then 0
    assert register_shares((10.0, 1.0), (17.5, 2.0), 8.0) == (7.5 / 8, 1 / 8, 0.0)
    assert [round(v, 3) for v in register_shares((0.0, 0.0), (3.0, 1.0), 8.0)] == [0.375, 0.125, 0.5]


def test_sampler_interpolates_between_samples():
    sampler = RegisterSampler.__new__(RegisterSampler)  # no thread: samples given
    sampler.samples = [(100.0, 1.0, 0.0), (100.02, 1.01, 0.002), (100.04, 1.03, 0.002)]
    assert [round(v, 4) for v in sampler.at(100.01)] == [1.005, 0.001]
    assert sampler.at(99.0) == (1.0, 0.0)  # before the first sample: the first
    assert sampler.at(101.0) == (1.03, 0.002)  # after the last: the last


def test_a_busy_process_is_seen_on_a_cpu():
    sampler = RegisterSampler(os.getpid())
    try:
        before = register_time(os.getpid())
        x = 0
        for i in range(3_000_000):
            x += i
        after = register_time(os.getpid())
    finally:
        sampler.close()
    assert after[0] - before[0] > 0.05  # seconds on a CPU, read from /proc/<pid>/task/*/schedstat
    assert len(sampler.samples) >= 1
