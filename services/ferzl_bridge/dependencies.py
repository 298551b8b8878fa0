"""The ФЕРЗЛ client and a bounded green pool, built once per process."""
from datetime import datetime, timezone

import eventlet
from nameko.extensions import DependencyProvider

from services.ferzl_bridge.client import FerzlClient


class Ferzl:
    def __init__(self, client, pool, started):
        self.client = client
        self.pool = pool
        self.started = started

    def state(self):
        # The circuit breaker (issue 4) will make this honest; until then the bridge reports up.
        return {"state": "up", "since": self.started}

    def get_person_data(self, params, external_id):
        return self.client.get_person_data(params, external_id)

    def imap(self, func, items):
        return self.pool.imap(func, items)


class FerzlProvider(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.client = FerzlClient(config["FERZL_URL"], config["FERZL_TOKEN"], timeout=float(config["FERZL_TIMEOUT"]))
        self.pool = eventlet.GreenPool(int(config["FERZL_CONCURRENCY"]))
        self.started = datetime.now(timezone.utc).isoformat()

    def get_dependency(self, worker_ctx):
        return Ferzl(self.client, self.pool, self.started)
