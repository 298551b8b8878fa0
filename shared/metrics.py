"""Prometheus metrics of every service (README, «Метрики»): the one list of names, and the endpoint a process
serves them on. Each process listens on METRICS_HOST and the first free port of METRICS_PORT_<SERVICE> ..
METRICS_PORT_<SERVICE> + METRICS_COPIES - 1 (several copies of a service on one host); METRICS_COPIES=0: off.
A port already taken by another program is logged and skipped: metrics never stop a service from starting.

Counters count what this process did; gauges read from PostgreSQL or RabbitMQ (backlog, queues, groups, CRLs)
are set by the journal every few seconds, so any journal copy tells the whole system's state (dashboards and
alerts take max() over the copies)."""

import logging
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from shared import config
from shared.config import Settings

log = logging.getLogger(__name__)

# --- gateway ---
HTTP_REQUESTS = Counter("ozsp_http_requests", "HTTP requests answered by the gateway, by status code", ["status"])
LOGINS = Counter("ozsp_logins", "Sign-in attempts by outcome (ok, refused, throttled)", ["outcome"])

# --- ferzl_bridge ---
FERZL_CALLS = Counter(
    "ozsp_ferzl_calls",
    "ФЕРЗЛ calls by outcome (ok, rejected, auth, unavailable, limited, internal)",
    ["outcome"],
)
FERZL_CALL_SECONDS = Histogram(
    "ozsp_ferzl_call_seconds",
    "Duration of one ФЕРЗЛ call (single getPersonData)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
FERZL_MASS_BATCHES = Counter(
    "ozsp_ferzl_mass_batches", "Mass operations (getMassInsuranceStatusStart/Poll) by outcome", ["outcome"]
)
FERZL_MASS_PERSONS = Counter("ozsp_ferzl_mass_persons", "Persons sent in mass operations")
FERZL_RETRIES = Counter("ozsp_ferzl_retries", "Requests put off to a later try, by reason", ["reason"])
CIRCUIT_STATES = ("up", "degraded", "down")
FERZL_CIRCUIT = Gauge("ozsp_ferzl_circuit_state", "ФЕРЗЛ as the bridges see it: 1 for the current state", ["state"])

# --- journal (system state, read every few seconds) ---
DISPATCH_BACKLOG = Gauge("ozsp_dispatch_backlog", "Requests «Отправлен» not yet published to the bridge")
DISPATCH_IN_FLIGHT = Gauge("ozsp_dispatch_in_flight", "Requests published to the bridge and still awaited")
QUEUE_DEPTH = Gauge("ozsp_queue_depth", "Ready messages in a RabbitMQ queue", ["queue"])
GROUPS_IN_PROGRESS = Gauge("ozsp_groups_in_progress", "Groups not finished yet")
GROUP_ROWS = Gauge("ozsp_group_rows", "Rows of the unfinished groups by state (total, answered, failed)", ["state"])
CRL_EXPIRES_SECONDS = Gauge(
    "ozsp_crl_expires_seconds", "Seconds until the first active CA's newest CRL passes its nextUpdate (< 0: passed)"
)

# --- certmail ---
MAIL_LETTERS = Counter("ozsp_mail_letters", "Certificate letters handled, by outcome", ["outcome"])
MAIL_INTAKE = Counter("ozsp_mail_intake", "Letters offered to the SMTP intake (accepted, refused, failed)", ["outcome"])

# --- flk ---
FLK_ROWS = Counter("ozsp_flk_rows", "Group file rows checked by ФЛК")
FLK_CHECK_SECONDS = Counter("ozsp_flk_check_seconds", "Seconds spent checking group files")
FLK_ROWS_PER_SECOND = Gauge("ozsp_flk_rows_per_second", "Rows per second of the last group file checked")

# Every name above as Prometheus shows it (a counter x also as x_total, a histogram as x_bucket/_sum/_count).
NAMES = {
    m._name: m._type
    for m in (
        HTTP_REQUESTS,
        LOGINS,
        FERZL_CALLS,
        FERZL_CALL_SECONDS,
        FERZL_MASS_BATCHES,
        FERZL_MASS_PERSONS,
        FERZL_RETRIES,
        FERZL_CIRCUIT,
        DISPATCH_BACKLOG,
        DISPATCH_IN_FLIGHT,
        QUEUE_DEPTH,
        GROUPS_IN_PROGRESS,
        GROUP_ROWS,
        CRL_EXPIRES_SECONDS,
        MAIL_LETTERS,
        MAIL_INTAKE,
        FLK_ROWS,
        FLK_CHECK_SECONDS,
        FLK_ROWS_PER_SECOND,
    )
}
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exposed_names() -> set[str]:
    """The series names a scrape shows for NAMES (what alert rules and dashboards may refer to)."""
    return {name + suffix for name, kind in NAMES.items() for suffix in SUFFIXES[kind]}


def set_circuit(state: str) -> None:
    for s in CIRCUIT_STATES:
        FERZL_CIRCUIT.labels(state=s).set(1 if s == state else 0)


def port_of(settings: Settings, service: str) -> int:
    return int(getattr(settings, f"metrics_port_{service}"))


def serve(settings: Settings, service: str) -> Any:
    """Start this process's /metrics endpoint (a daemon thread); the server, or None when off or no port is free."""
    copies, base = settings.metrics_copies, port_of(settings, service)
    for port in range(base, base + max(0, copies)):
        try:
            server, _thread = start_http_server(port, addr=settings.metrics_host)
        except OSError:
            continue
        log.info("metrics of %s on %s:%d/metrics", service, settings.metrics_host, port)
        return server
    if copies > 0:
        log.warning("metrics of %s not served: ports %d..%d are taken", service, base, base + copies - 1)
    return None


def stop(server: Any) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()


class MetricsEndpoint(DependencyProvider):
    """The /metrics endpoint of a nameko service process (METRICS_PORT_<its name>)."""

    def setup(self) -> None:
        self.server: Any = None

    def start(self) -> None:
        self.server = serve(config.from_nameko(self.container.config), self.container.service_name)

    def stop(self) -> None:
        stop(self.server)
        self.server = None

    kill = stop

    def get_dependency(self, worker_ctx: object) -> None:
        return None
