"""FERZL_CONCURRENCY long-lived green threads taking calls from one queue, shared by every chunk of the process.

Spawning a green thread per call into a shared GreenPool, with dozens of chunks waiting on its semaphore, cost
about 0.1 ms of CPU a call more than the calls themselves (bench/bridge_core.py: 0.49-0.57 against 0.40 ms a
request). Workers start when calls arrive and end after `idle` seconds without any."""

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import eventlet
from eventlet.event import Event
from eventlet.queue import Empty, LightQueue

T = TypeVar("T")
R = TypeVar("R")


class CallWorkers:
    def __init__(self, size: int, idle: float = 30.0) -> None:
        self.size, self.idle = max(1, int(size)), idle
        self.jobs = LightQueue()
        self.running = 0

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """[fn(item) for item in items], at most `size` at once across all callers, results in order; an
        exception of fn is raised here (in the caller's green thread)."""
        events: list[Any] = []
        for item in items:
            event = Event()
            self.jobs.put((fn, item, event))
            events.append(event)
            if self.running < self.size:
                self.running += 1
                eventlet.spawn_n(self._work)
        return [event.wait() for event in events]

    def _work(self) -> None:
        try:
            while True:
                try:
                    fn, item, event = self.jobs.get(timeout=self.idle)
                except Empty:
                    return
                try:
                    event.send(fn(item))
                except Exception as exc:  # the caller sees it; the worker goes on
                    event.send_exception(exc)
        finally:
            self.running -= 1
