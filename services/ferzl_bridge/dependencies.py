"""The bridge's collaborators, built once per process from shared.config.Settings."""

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider

from services.ferzl_bridge import state as shared_state
from services.ferzl_bridge.circuit import Circuit
from services.ferzl_bridge.client import FerzlClient, MassClient
from services.ferzl_bridge.fast import FastClient
from services.ferzl_bridge.ratelimit import Limiter, SharedBucket
from services.ferzl_bridge.retry import Tiers
from services.ferzl_bridge.work import Bridge, Result
from shared import config, db, metrics
from shared.dictionaries.mo import smo_dictionary
from shared.messages import WORK_QUEUE
from shared.queues import tier_name

log = logging.getLogger(__name__)
DEPTH_TTL = 2.0  # seconds a queue-depth reading is reused


class Ferzl:
    """What the service's workers use: the Bridge plus state for get_state()."""

    def __init__(self, provider: "FerzlProvider") -> None:
        self.provider = provider
        self.bridge = provider.bridge

    def process(self, items: list[Mapping[str, Any]]) -> Result:
        return self.bridge.process(items)

    def tick(self) -> None:
        p = self.provider
        now = time.monotonic()
        if now - p.synced >= 1.0:
            p.synced = now
            metrics.set_circuit(self.bridge.circuit.sync()["state"])
        self.bridge.probe()

    def state(self) -> dict[str, Any]:
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

    def connection_metrics(self) -> dict[str, int]:
        """http_* of the single calls' connections, mass_http_* of the mass service's (connections.py)."""
        out: dict[str, int] = {}
        for prefix, client in (("http", self.bridge.client), ("mass_http", self.bridge.mass_client)):
            counts: Mapping[str, int]
            if isinstance(client, FastClient):
                counts = client.connections.metrics
            elif isinstance(client, (FerzlClient, MassClient)):
                counts = client.zeep.transport.metrics()
            else:
                counts = {}
            out.update({f"{prefix}_{k}": v for k, v in counts.items()})
        return out

    def queue_depth(self) -> dict[str, Any] | None:
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
    def setup(self) -> None:
        s = config.from_nameko(self.container.config)
        token, concurrency, api = s.ferzl_token, s.ferzl_concurrency, s.ferzl_api
        http: dict[str, Any] = {
            "timeout": s.ferzl_timeout,
            "connect_timeout": s.ferzl_connect_timeout,
            "idle_seconds": s.ferzl_idle_seconds,
        }
        self.engine = db.service_engine(s.database_url, pool_size=4, max_overflow=4, pool_recycle=1800)
        if s.ferzl_client == "zeep":
            client: FerzlClient | FastClient = FerzlClient(
                s.effective_ferzl_url, token, pool_size=concurrency, api=api, **http
            )
        else:
            client = FastClient(s.effective_ferzl_url, token, pool_size=concurrency, api=api, **http)
        self.tiers = Tiers(s.ferzl_retry_tiers)
        limiter = Limiter(SharedBucket(self.engine), s.ferzl_rate_limit, sleep=eventlet.sleep)
        circuit = Circuit(
            shared_state.PgCircuitStore(self.engine),
            trip_failures=s.ferzl_trip_failures,
            degraded_ratio=s.ferzl_degraded_ratio,
            probe_seconds=s.ferzl_probe_seconds,
        )
        self.bridge = Bridge(
            client,
            limiter,
            circuit,
            self.tiers,
            mass_client=MassClient(s.effective_ferzl_async_url, token, api=api, **http),
            smo={code: (name, ogrn) for code, name, ogrn in smo_dictionary()},
            settings=s,
        )
        self.amqp_uri = s.amqp_uri
        self.started = datetime.now(UTC).isoformat()
        self.synced, self.depth_at = 0.0, 0.0
        self.depth: dict[str, Any] | None = None

    def stop(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> Ferzl:
        return Ferzl(self)
