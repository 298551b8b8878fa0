"""Pages waiting for answers (GET /individual/wait): each waiter is an eventlet event set when the journal's
`requests_finished` event names one of its requests. The board is this process's own: every gateway process gets
every such event (a broadcast), so a page may wait on whichever copy its request went to."""

from collections.abc import Iterable

from eventlet.event import Event
from eventlet.timeout import Timeout

# Waits held at once by one process, each holding a nameko worker: the gateway has this many workers on top of its
# 50 for everything else (shared.config.nameko_config); beyond, pages refresh on their 2.5 s timer.
MAX_WAITERS = 100
WAIT_SECONDS = 20.0  # a wait answers empty after this; the page asks again
MAX_IDS = 50  # requests one wait may name
PARTS = (None, "card", "summary")  # the page region a wait's answer may carry (None: only the ids)


class Board:
    def __init__(self, max_waiters: int = MAX_WAITERS) -> None:
        self.max_waiters = max_waiters
        self.waiters: dict[int, tuple[frozenset[int], Event]] = {}
        self.next_key = 0

    def enter(self, ids: Iterable[int]) -> int | None:
        """A waiter for these requests -> its key, or None when the process holds max_waiters already."""
        if len(self.waiters) >= self.max_waiters:
            return None
        self.next_key += 1
        self.waiters[self.next_key] = (frozenset(ids), Event())
        return self.next_key

    def narrow(self, key: int, ids: Iterable[int]) -> None:
        """The waiter waits for these of its requests only (those the user may see: no other organisation's
        request may wake it, nor be named in its answer)."""
        _, event = self.waiters[key]
        self.waiters[key] = (frozenset(ids), event)

    def wait(self, key: int, seconds: float) -> list[int]:
        """-> the requests of this waiter reported finished (sorted), [] after `seconds`; the waiter leaves."""
        _, event = self.waiters[key]
        try:
            with Timeout(seconds, False):
                woken = event.wait()
                return sorted(set(woken) & self.waiters[key][0])  # as narrowed meanwhile
            return []
        finally:
            self.leave(key)

    def leave(self, key: int) -> None:
        self.waiters.pop(key, None)

    def finished(self, ids: Iterable[int]) -> int:
        """Wake the waiters of these requests -> how many were woken."""
        done, woken = set(ids), 0
        for wanted, event in list(self.waiters.values()):
            hit = wanted & done
            if hit and not event.ready():
                event.send(hit)
                woken += 1
        return woken


def parse_ids(text: str) -> list[int] | None:
    """ "1,2,3" -> [1, 2, 3]; None when malformed, empty or longer than MAX_IDS."""
    parts = [p for p in text.split(",") if p]
    if not parts or len(parts) > MAX_IDS or not all(p.isdigit() and len(p) <= 18 for p in parts):
        return None
    return sorted({int(p) for p in parts})
