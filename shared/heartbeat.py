"""Heartbeat of a nameko service for container healthchecks: while the service's green threads run, the file named
by HEARTBEAT_FILE is touched every few seconds; `python -m shared.health heartbeat FILE` checks it is fresh.
An empty HEARTBEAT_FILE (the default, `make run`) turns it off."""

import logging
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider

from shared.health import touch

log = logging.getLogger(__name__)

INTERVAL = 5.0  # seconds between touches; compose allows --max-age 30


class Heartbeat(DependencyProvider):
    interval = INTERVAL

    def setup(self) -> None:
        self.path: str = self.container.config.get("HEARTBEAT_FILE") or ""
        self._thread: Any = None

    def start(self) -> None:
        if self.path:
            self._thread = self.container.spawn_managed_thread(self._beat, identifier="heartbeat")

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.kill()
            self._thread = None

    kill = stop

    def _beat(self) -> None:
        failing = False
        while True:
            try:
                touch(self.path)
                failing = False
            except OSError as exc:  # a stale file makes the container unhealthy; say why once
                if not failing:
                    log.warning("heartbeat file %s cannot be touched: %s", self.path, exc)
                failing = True
            eventlet.sleep(self.interval)

    def get_dependency(self, worker_ctx: object) -> None:
        return None
