"""What a benchmark starts for itself -- a RabbitMQ vhost, a database, service processes -- removed again at its
end, also when it fails or is stopped (Ctrl-C, SIGTERM, SIGHUP).

Names are unique (vhost ozsp-bench_…, database ozsp_bench_…) and ports free ones, so a running `make run`
(vhost and database ozsp, ports 8000/8100/2525) is never touched. OZSP_BENCH_TAG (letters and digits) goes into
every name: tests/integration/test_bench_quick.py uses it to find anything a run left behind.

    with Resources() as res:
        amqp_uri = res.vhost()
        url = res.database(dev_login=True)  # migrated and seeded
        sup = res.services(env, "bench-x.log")  # stopped first, then the database dropped, then the vhost deleted
"""

import contextlib
import os
import re
import signal

from bench import sandbox

TAG_VARIABLE = "OZSP_BENCH_TAG"
RUNNING = "ozsp"  # the vhost and database of `make run`


def tag():
    value = os.environ.get(TAG_VARIABLE, "")
    if not re.fullmatch(r"[a-z0-9]*", value):
        raise SystemExit(f"{TAG_VARIABLE}: только строчные латинские буквы и цифры, а не {value!r}")
    return value


def names():
    """(vhost prefix, database prefix) of this run's resources."""
    extra = f"-{tag()}" if tag() else ""
    return f"ozsp-bench{extra}", f"ozsp_bench{extra.replace('-', '_')}"


@contextlib.contextmanager
def stopped_by_signals(signals=(signal.SIGTERM, signal.SIGHUP)):
    """These signals end the benchmark like Ctrl-C does: through its cleanup. A second one during the cleanup is
    ignored, so the cleanup finishes."""

    def stop(signum, frame):
        for s in signals:
            signal.signal(s, signal.SIG_IGN)
        raise KeyboardInterrupt(f"signal {signum}")

    before = {s: signal.signal(s, stop) for s in signals}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


class Resources(contextlib.ExitStack):
    """An ExitStack that owns the benchmark's vhost, database and processes (removed in reverse order)."""

    def __init__(self, settings=None):
        super().__init__()
        self.settings = settings or sandbox.base_settings()

    def __enter__(self):
        super().__enter__()
        self.enter_context(stopped_by_signals())
        return self

    def vhost(self):
        """A fresh vhost of the local RabbitMQ; -> its AMQP URI."""
        name = sandbox.unique_name(names()[0])
        assert name != RUNNING
        self.callback(sandbox.create_vhost(self.settings, name))
        return sandbox.amqp_uri_for_vhost(self.settings, name)

    def database(self, migrate=True, seed=True, dev_login=False):
        """A fresh database, migrated and seeded (with the dev login's CA and certificate if asked); -> its URL."""
        from services import admin

        url, drop = sandbox.make_test_database(self.settings, prefix=names()[1])
        self.callback(drop)
        if migrate:
            admin.migrate(url)
        if seed:
            admin.seed(url, dev_login=dev_login)
        return url

    def engine(self, url, **options):
        """An SQLAlchemy engine disposed of before its database is dropped."""
        from sqlalchemy import create_engine

        engine = create_engine(url, **options)
        self.callback(engine.dispose)
        return engine

    def services(self, env, log_name=None):
        """A Supervisor (no restarts) for the services; their output goes to test-output/<log_name> or nowhere.
        Every process it starts is stopped at the end."""
        from services.supervisor import Supervisor

        if log_name:
            os.makedirs(sandbox.OUTPUT, exist_ok=True)
            log = open(os.path.join(sandbox.OUTPUT, log_name), "w", encoding="utf-8")
        else:
            log = open(os.devnull, "w")
        self.callback(log.close)
        sup = Supervisor(env=env, restart=False, output=log)
        self.callback(sup.stop)
        return sup
