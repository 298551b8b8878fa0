"""ФЕРЗЛ availability for the banner: asked from ferzl_bridge with a short timeout, cached a few seconds.

A page never waits more than TIMEOUT on it; a bridge that does not answer reads as unknown (no banner).
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import eventlet

from services.gateway import messages

log = logging.getLogger(__name__)
TIMEOUT = 1.0
TTL = 5.0


def ask(bridge: Any, timeout: float = TIMEOUT) -> Any:
    """bridge.get_state() or None when it fails or takes longer than `timeout` seconds."""
    try:
        with eventlet.Timeout(timeout, False):
            return bridge.get_state.call_async().result()
    except Exception as exc:
        log.warning("ferzl_bridge.get_state failed: %s", type(exc).__name__)
    return None


class StateCache:
    """Per-process cache of the last answer (including «no answer») for `ttl` seconds."""

    def __init__(self, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self.value: Any = None
        self.at: float | None = None
        self.lock = threading.Lock()

    def get(self, fetch: Callable[[], Any]) -> Any:
        now = self.clock()
        with self.lock:
            if self.at is not None and now - self.at < self.ttl:
                return self.value
            self.at = now  # other workers use the old value meanwhile instead of asking too
        value = fetch()
        with self.lock:
            self.value, self.at = value, self.clock()
        return value


def banner(state: object) -> dict[str, Any] | None:
    """{"level", "text", "since"} for a state that deserves a banner, else None."""
    if not isinstance(state, dict):
        return None
    if state.get("state") == "down":
        return {"level": "down", "text": messages.FERZL_DOWN, "since": state.get("since")}
    if state.get("state") == "degraded":
        return {"level": "degraded", "text": messages.FERZL_DEGRADED, "since": state.get("since")}
    return None
