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
import threading

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


class SignalStop:
    """SIGTERM and SIGHUP end the benchmark as Ctrl-C does: a KeyboardInterrupt, then its cleanup. Python drops an
    exception raised while the main thread runs a weakref callback or a __del__ ("Exception ignored in ..."), so
    until the cleanup begins a watcher thread signals again every half second. During the cleanup these signals
    are ignored, so the cleanup finishes."""

    SIGNALS = (signal.SIGTERM, signal.SIGHUP)
    AGAIN_SECONDS = 0.5

    def __init__(self):
        self.asked = threading.Event()
        self.ending = threading.Event()
        self.before = {}

    def install(self):
        self.before = {s: signal.signal(s, self._stop) for s in self.SIGNALS}

    def _stop(self, signum, frame):
        if self.ending.is_set():
            return
        if not self.asked.is_set():
            self.asked.set()
            threading.Thread(target=self._insist, args=(signum,), name="bench-stop", daemon=True).start()
        raise KeyboardInterrupt(f"signal {signum}")

    def _insist(self, signum):
        while not self.ending.wait(self.AGAIN_SECONDS):
            os.kill(os.getpid(), signum)

    def cleaning(self):
        """The cleanup begins: from here on these signals are ignored."""
        self.ending.set()
        for s in self.SIGNALS:
            signal.signal(s, signal.SIG_IGN)

    def restore(self):
        for s, handler in self.before.items():
            signal.signal(s, handler)


class Resources(contextlib.ExitStack):
    """An ExitStack that owns the benchmark's vhost, database and processes (removed in reverse order)."""

    def __init__(self, settings=None):
        super().__init__()
        self.settings = settings or sandbox.base_settings()
        self.signals = SignalStop()

    def __enter__(self):
        super().__enter__()
        self.signals.install()
        return self

    def __exit__(self, *exc_info):
        self.signals.cleaning()
        try:
            return super().__exit__(*exc_info)
        finally:
            self.signals.restore()

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
