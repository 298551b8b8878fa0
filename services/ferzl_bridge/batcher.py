"""Gather mass-path rows from many work chunks into batches of up to `size` persons.

Chunks are small (CHUNK_SIZE) while a getMassInsuranceStatusStart takes up to 1000 persons. Each
chunk's worker submits its rows and waits; a batch starts when it is full or `wait` seconds after its
first rows arrived, runs in its own green thread, and hands every worker the results of its own rows.
The chunks stay unacked until then (bounded by the mass timeout, far below RabbitMQ's 30 minutes), so
a crash loses nothing: RabbitMQ hands the chunks out again.
"""

import eventlet
from eventlet.event import Event


class Batch:
    def __init__(self):
        self.items, self.done, self.results, self.extra = [], Event(), None, None
        self.open = True

    def take_extra(self):
        """The batch's extra data (archive records) goes to the first worker that asks."""
        extra, self.extra = self.extra, None
        return extra or []


class Batcher:
    def __init__(self, run, size=1000, wait=0.5):
        """run(items) -> ({request_id: result}, extra) is called once per batch, in a green thread."""
        self.run, self.size, self.wait = run, size, wait
        self.current = None
        self.running = 0

    def submit(self, items):
        """Results of these items ({request_id: result}) and the extra data of their batches."""
        batches = []
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
        results, extra = {}, []
        for batch in batches:
            batch.done.wait()
            results.update(
                {i["request_id"]: batch.results.get(i["request_id"]) for i in items if i["request_id"] in batch.results}
            )
            extra.extend(batch.take_extra())
        return results, extra

    def _open(self):
        batch = Batch()
        self.current = batch
        eventlet.spawn_after(self.wait, self._close, batch)
        return batch

    def _close(self, batch):
        if not batch.open:
            return
        batch.open = False
        if self.current is batch:
            self.current = None
        eventlet.spawn_n(self._run, batch)

    def _run(self, batch):
        self.running += 1
        try:
            batch.results, batch.extra = self.run(batch.items)
        except Exception as exc:  # every waiting worker must wake up: they retry their rows
            batch.results, batch.extra = {i["request_id"]: ("error", exc) for i in batch.items}, []
        finally:
            self.running -= 1
            batch.done.send(True)
