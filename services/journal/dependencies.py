"""The journal's collaborators as nameko dependencies, built once per process: the database engine, and the plain
objects that keep per-process state (the dispatcher, the CRL jobs, the answers intake)."""

from typing import Any

from eventlet import tpool
from nameko.extensions import DependencyProvider
from sqlalchemy.engine import Engine

from services.journal.crl_jobs import CrlJobs
from services.journal.dispatch import Dispatcher
from services.journal.gauges import Gauges
from services.journal.intake import AnswerIntake
from services.journal.subsystems import Presence
from shared import config, db
from shared.gost import load_crl


class Database(DependencyProvider):
    """One pool per process, sized to the worker pool."""

    def setup(self) -> None:
        workers = int(self.container.config.get("max_workers", 10))
        url = config.from_nameko(self.container.config).database_url
        self.engine = db.service_engine(url, pool_size=workers, max_overflow=5, pool_recycle=1800)

    def stop(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> Engine:
        return self.engine


class Dispatch(DependencyProvider):
    """The process's services.journal.dispatch.Dispatcher."""

    def setup(self) -> None:
        self.dispatcher = Dispatcher(config.from_nameko(self.container.config))

    def get_dependency(self, worker_ctx: Any) -> Dispatcher:
        return self.dispatcher


def crl_in_thread(data: bytes) -> Any:
    """A CRL parsed in a real thread: a big one takes seconds, and dispatch and answers go on meanwhile."""
    return tpool.execute(load_crl, data)


class Crls(DependencyProvider):
    """The process's services.journal.crl_jobs.CrlJobs, parsing CRLs in a real thread."""

    def setup(self) -> None:
        self.jobs = CrlJobs(parse=crl_in_thread)

    def get_dependency(self, worker_ctx: Any) -> CrlJobs:
        return self.jobs


class Metrics(DependencyProvider):
    """The process's services.journal.gauges.Gauges."""

    def setup(self) -> None:
        self.gauges = Gauges(config.from_nameko(self.container.config))

    def get_dependency(self, worker_ctx: Any) -> Gauges:
        return self.gauges


class Subsystems(DependencyProvider):
    """The process's services.journal.subsystems.Presence."""

    def setup(self) -> None:
        self.presence = Presence()

    def get_dependency(self, worker_ctx: Any) -> Presence:
        return self.presence


class Intake(DependencyProvider):
    """The process's services.journal.intake.AnswerIntake."""

    def setup(self) -> None:
        self.intake = AnswerIntake()

    def get_dependency(self, worker_ctx: Any) -> AnswerIntake:
        return self.intake
