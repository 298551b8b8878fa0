"""A job that runs at most every so many seconds, by the monotonic clock."""

import time
from collections.abc import Callable


class Pace:
    """due(seconds) is True when the time set by the last True has come; then the next one is `seconds` away.
    The first call is always due. One instance per process (held by a dependency provider), shared by its workers."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.next_at = 0.0

    def due(self, seconds: float) -> bool:
        now = self.clock()
        if now < self.next_at:
            return False
        self.next_at = now + seconds
        return True
