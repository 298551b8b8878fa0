"""Gather mass-path rows from many work chunks into batches of up to `size` persons.

Chunks are small (CHUNK_SIZE) while a getMassInsuranceStatusStart takes up to 1000 persons. Each
chunk's worker submits its rows and waits; a batch starts when it is full or `wait` seconds after its
first rows arrived, runs in its own green thread, and hands every worker the results of its own rows.
The chunks stay unacked until then (bounded by the mass timeout, far below RabbitMQ's 30 minutes), so
a crash loses nothing: RabbitMQ hands the chunks out again.
"""

from collections.abc import Callable, Mapping
from typing import Any

import eventlet
from eventlet.event import Event

Item = Mapping[str, Any]  # a work item of shared.messages
Run = Callable[[list[Item]], tuple[dict[int, Any], list[Any]]]


class Batch:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.done = Event()
        self.results: dict[int, Any] = {}
        self.extra: list[Any] | None = None
        self.open = True

    def take_extra(self) -> list[Any]:
        """The batch's extra data (archive records) goes to the first worker that asks."""
        extra, self.extra = self.extra, None
        return extra or []


class Batcher:
    def __init__(self, run: Run, size: int = 1000, wait: float = 0.5) -> None:
        """run(items) -> ({request_id: result}, extra) is called once per batch, in a green thread."""
        self.run, self.size, self.wait = run, size, wait
        self.current: Batch | None = None
        self.running = 0

    def submit(self, items: list[Item]) -> tuple[dict[int, Any], list[Any]]:
        """Results of these items ({request_id: result}) and the extra data of their batches."""
        batches: list[Batch] = []
        rest = list(items)
        while rest:
            batch = self.current if self.current is not None and self.current.open else self._open()
            room = self.size - len(batch.items)
            batch.items.extend(rest[:room])
            rest = rest[room:]
            if batch not in batches:
                batches.append(batch)
            if len(batch.items) >= self.size:
                self._close(batch)
        results: dict[int, Any] = {}
        extra: list[Any] = []
        for batch in batches:
            batch.done.wait()
            results.update(
                {i["request_id"]: batch.results.get(i["request_id"]) for i in items if i["request_id"] in batch.results}
            )
            extra.extend(batch.take_extra())
        return results, extra

    def _open(self) -> Batch:
        batch = Batch()
        self.current = batch
        eventlet.spawn_after(self.wait, self._close, batch)
        return batch

    def _close(self, batch: Batch) -> None:
        if not batch.open:
            return
        batch.open = False
        if self.current is batch:
            self.current = None
        eventlet.spawn_n(self._run, batch)

    def _run(self, batch: Batch) -> None:
        self.running += 1
        try:
            batch.results, batch.extra = self.run(batch.items)
        except Exception as exc:  # every waiting worker must wake up: they retry their rows
            batch.results, batch.extra = {i["request_id"]: ("error", exc) for i in batch.items}, []
        finally:
            self.running -= 1
            batch.done.send(True)
