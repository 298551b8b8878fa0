"""Database engine as a nameko dependency: one pool per process, sized to the worker pool."""

from nameko.extensions import DependencyProvider

from shared import config, db


class Database(DependencyProvider):
    def setup(self):
        workers = int(self.container.config.get("max_workers", 10))
        url = config.from_nameko(self.container.config).database_url
        self.engine = db.engine(url, pool_size=workers, max_overflow=5, pool_pre_ping=True, pool_recycle=1800)

    def stop(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.engine
