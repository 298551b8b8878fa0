"""The rate limiter: tokens in batches from a bucket, no more than the rate, deadlines honoured.
(The PostgreSQL bucket shared by processes: tests/integration/test_bridge_shared.py.)"""

from services.ferzl_bridge.ratelimit import LOCAL_TTL, Limiter, MemoryBucket, sizes


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


def test_batch_and_burst_sizes():
    assert sizes(5) == (1, 1.0)
    assert sizes(100) == (10, 20.0)
    assert sizes(1000) == (20, 200.0)


def test_calls_over_ten_seconds_stay_within_the_rate():
    clock = Clock()
    limiter = Limiter(MemoryBucket(clock), 50, clock=clock, sleep=clock.sleep)
    granted = 0
    while clock.t < 10:
        assert limiter.acquire(clock.t + 5)
        granted += 1
    assert 500 <= granted <= 500 + limiter.burst + limiter.batch


def test_two_limiters_on_one_bucket_share_the_rate():
    clock = Clock()
    bucket = MemoryBucket(clock)
    a = Limiter(bucket, 20, clock=clock, sleep=clock.sleep)
    b = Limiter(bucket, 20, clock=clock, sleep=clock.sleep)
    granted = 0
    while clock.t < 10:
        for limiter in (a, b):
            if limiter.acquire(clock.t + 0.01):
                granted += 1
        clock.t += 0.005
    assert 190 <= granted <= 200 + 2 * (a.burst + a.batch)


def test_a_deadline_that_cannot_be_met_returns_false_without_waiting_past_it():
    clock = Clock()
    limiter = Limiter(MemoryBucket(clock), 1, clock=clock, sleep=clock.sleep)
    assert limiter.acquire(clock.t + 0.1)  # the burst
    assert not limiter.acquire(clock.t + 0.1)
    assert clock.t <= 0.1
    assert limiter.acquire(clock.t + 2)


def test_local_tokens_expire():
    clock = Clock()
    limiter = Limiter(MemoryBucket(clock), 100, clock=clock, sleep=clock.sleep)
    assert limiter.acquire(1)
    assert limiter.tokens == limiter.batch - 1
    clock.t += LOCAL_TTL + 0.01
    limiter.bucket.tokens = 0  # nothing left centrally: the stale local tokens must not be used
    limiter.bucket.at = clock.t
    assert not limiter.acquire(clock.t)


class Broken:
    def take(self, *args):
        raise ConnectionError("database away")


def test_no_limit_and_a_broken_shared_bucket():
    assert Limiter(Broken(), 0).acquire(0)
    clock = Clock()
    limiter = Limiter(Broken(), 10, clock=clock, sleep=clock.sleep)
    assert limiter.acquire(clock.t + 1)  # falls back to this process's own bucket
