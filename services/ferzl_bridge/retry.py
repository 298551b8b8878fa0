"""When a request is tried again: the delay tier by attempt, jitter, the horizon. Plain logic.

RabbitMQ has no per-message delay; the delay queues (shared.queues) have fixed TTLs. A retry waits
in the tier of its attempt (1st retry: the shortest, then longer, the longest from then on); a request
held back without being tried (ФЕРЗЛ down, token refused, no rate tokens) waits in the hold tier.
Jitter: each message gets a per-message TTL of 75–100 % of its queue's TTL, so retries published
together do not come back together (a message can wait at most 25 % longer behind a slower head).
"""

import random
from datetime import datetime, timedelta

from shared.queues import DEFAULT_TIERS, parse_tiers

JITTER = 0.25


class Tiers:
    def __init__(self, text: str = DEFAULT_TIERS, rng: random.Random | None = None) -> None:
        self.seconds = parse_tiers(text)
        self.rng = rng or random.Random()

    def for_attempt(self, attempt: int) -> float:
        """Seconds to wait before try number attempt + 1 (attempt >= 1: tries already failed)."""
        return self.seconds[min(max(attempt, 1), len(self.seconds)) - 1]

    @property
    def hold(self) -> float:
        """Where work waits while it cannot be tried: the second tier (30 s by default)."""
        return self.seconds[min(1, len(self.seconds) - 1)]

    def expiration(self, seconds: float) -> float:
        """Per-message TTL in seconds, jittered down from the queue's TTL."""
        return seconds * (1 - JITTER * self.rng.random())


def past_horizon(first_try_at: str | None, now: datetime, horizon: timedelta) -> bool:
    """True when a request first tried at first_try_at (ISO) has been retried for longer than horizon."""
    if not first_try_at:
        return False
    return now - datetime.fromisoformat(first_try_at) > horizon
