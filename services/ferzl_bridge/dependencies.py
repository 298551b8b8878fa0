"""The ФЕРЗЛ client and a bounded green pool, built once per process."""
import eventlet
from nameko.extensions import DependencyProvider

from services.ferzl_bridge.client import FerzlClient


class Ferzl:
    def __init__(self, client, pool):
        self.client = client
        self.pool = pool

    def get_person_data(self, params, external_id):
        return self.client.get_person_data(params, external_id)

    def imap(self, func, items):
        return self.pool.imap(func, items)


class FerzlProvider(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.client = FerzlClient(config["FERZL_URL"], config["FERZL_TOKEN"], timeout=float(config["FERZL_TIMEOUT"]))
        self.pool = eventlet.GreenPool(int(config["FERZL_CONCURRENCY"]))

    def get_dependency(self, worker_ctx):
        return Ferzl(self.client, self.pool)
