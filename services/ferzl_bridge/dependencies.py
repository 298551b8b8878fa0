"""The bridge's collaborators, built once per process from the nameko config."""

import logging
import time
from datetime import UTC, datetime

import eventlet
from nameko.extensions import DependencyProvider

from services.ferzl_bridge import state as shared_state
from services.ferzl_bridge.circuit import Circuit
from services.ferzl_bridge.client import FerzlClient, MassClient
from services.ferzl_bridge.connections import IDLE_SECONDS
from services.ferzl_bridge.fast import FastClient
from services.ferzl_bridge.ratelimit import Limiter, SharedBucket
from services.ferzl_bridge.retry import Tiers
from services.ferzl_bridge.work import Bridge
from shared import db
from shared.dictionaries.mo import smo_dictionary
from shared.messages import WORK_QUEUE
from shared.queues import tier_name

log = logging.getLogger(__name__)
DEPTH_TTL = 2.0  # seconds a queue-depth reading is reused


def _get(config, key, default, kind=float):
    value = config.get(key)
    return default if value in (None, "") else kind(value)


class Ferzl:
    """What the service's workers use: the Bridge plus state for get_state()."""

    def __init__(self, provider):
        self.provider = provider
        self.bridge = provider.bridge

    def process(self, items):
        return self.bridge.process(items)

    def tick(self):
        p = self.provider
        now = time.monotonic()
        if now - p.synced >= 1.0:
            p.synced = now
            self.bridge.circuit.sync()
        self.bridge.probe()

    def state(self):
        p = self.provider
        out = shared_state.view(self.bridge.circuit.state())
        out["queue_depth"] = self.queue_depth()
        out["metrics"] = {
            **self.bridge.metrics,
            **self.bridge.circuit.metrics,
            **self.connection_metrics(),
            "rate_tokens": self.bridge.limiter.granted,
            "started": p.started,
        }
        out["alarm"] = "token" if out["reason"] == "auth" else None
        return out

    def connection_metrics(self):
        """http_* of the single calls' connections, mass_http_* of the mass service's (connections.py)."""
        out = {}
        for prefix, client in (("http", self.bridge.client), ("mass_http", self.bridge.mass_client)):
            if isinstance(client, FastClient):
                counts = client.connections.metrics
            elif client is not None:
                counts = client.zeep.transport.metrics()
            else:
                counts = {}
            out.update({f"{prefix}_{k}": v for k, v in counts.items()})
        return out

    def queue_depth(self):
        p = self.provider
        if p.depth is not None and time.monotonic() - p.depth_at < DEPTH_TTL:
            return p.depth
        try:
            depths = shared_state.queue_depths(p.amqp_uri, [WORK_QUEUE] + [tier_name(s) for s in p.tiers.seconds])
            delayed = sum(v for k, v in depths.items() if k != WORK_QUEUE)
            p.depth = {
                "work": depths.get(WORK_QUEUE, 0),
                "delayed": delayed,
                "total": depths.get(WORK_QUEUE, 0) + delayed,
                "queues": depths,
            }
        except Exception as exc:
            log.warning("queue depth unavailable (%s)", type(exc).__name__)
            p.depth = None
        p.depth_at = time.monotonic()
        return p.depth


class FerzlProvider(DependencyProvider):
    def setup(self):
        config = self.container.config
        url, token, timeout = config["FERZL_URL"], config["FERZL_TOKEN"], float(config["FERZL_TIMEOUT"])
        concurrency = int(config["FERZL_CONCURRENCY"])
        http = {
            "timeout": timeout,
            "connect_timeout": _get(config, "FERZL_CONNECT_TIMEOUT", 5.0),
            "idle_seconds": _get(config, "FERZL_IDLE_SECONDS", IDLE_SECONDS),
        }
        self.engine = db.engine(
            config["DATABASE_URL"], pool_size=4, max_overflow=4, pool_pre_ping=True, pool_recycle=1800
        )
        if config.get("FERZL_CLIENT", "fast") == "zeep":
            client = FerzlClient(url, token, pool_size=concurrency, **http)
        else:
            client = FastClient(url, token, pool_size=concurrency, **http)
        async_url = config.get("FERZL_ASYNC_URL") or url.rsplit("/", 1)[0] + "/mpiAsyncOperationsServiceWs"
        self.tiers = Tiers(config.get("FERZL_RETRY_TIERS") or "5,30,120,600")
        limiter = Limiter(SharedBucket(self.engine), _get(config, "FERZL_RATE_LIMIT", 0.0), sleep=eventlet.sleep)
        circuit = Circuit(
            shared_state.PgCircuitStore(self.engine),
            trip_failures=_get(config, "FERZL_TRIP_FAILURES", 10, int),
            degraded_ratio=_get(config, "FERZL_DEGRADED_RATIO", 0.2),
            probe_seconds=_get(config, "FERZL_PROBE_SECONDS", 15.0),
        )
        self.bridge = Bridge(
            client,
            limiter,
            circuit,
            self.tiers,
            mass_client=MassClient(async_url, token, **http),
            concurrency=concurrency,
            smo={code: (name, ogrn) for code, name, ogrn in smo_dictionary()},
            horizon_hours=_get(config, "FERZL_RETRY_HORIZON_HOURS", 24.0),
            hold_budget=_get(config, "FERZL_HOLD_BUDGET", 120.0),
            mass_min=_get(config, "FERZL_MASS_MIN", 50, int),
            mass_batch=_get(config, "FERZL_MASS_BATCH", 1000, int),
            mass_wait=_get(config, "FERZL_MASS_WAIT", 0.5),
            mass_poll=_get(config, "FERZL_MASS_POLL", 1.0),
            mass_timeout=_get(config, "FERZL_MASS_TIMEOUT", 600.0),
            archive=_get(config, "FERZL_ARCHIVE_DAYS", 30, int) > 0,
        )
        self.amqp_uri = config["AMQP_URI"]
        self.started = datetime.now(UTC).isoformat()
        self.synced, self.depth, self.depth_at = 0.0, None, 0.0

    def stop(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return Ferzl(self)
