"""RPC of the administrator's «Состояние сервиса» page: PostgreSQL's part (service_state.py) and the queue depths
(passive declares, as the metrics gauges read them), with the link to the RabbitMQ management UI."""

import logging
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy.engine import Engine

from services.journal import gauges, service_state
from services.journal.calls.directory import plain
from shared.broker import vhost_of
from shared.config import Settings
from shared.queues import declared

log = logging.getLogger(__name__)


def management_link(settings: Settings) -> str:
    """The management UI's queue list of the stack's vhost, without the credentials of RABBIT_MANAGEMENT_URL."""
    parts = urlsplit(settings.rabbit_management_url)
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return f"{parts.scheme}://{host}/#/queues/{quote(vhost_of(settings.amqp_uri), safe='')}"


def state(engine: Engine, settings: Settings) -> dict[str, Any]:
    with engine.connect() as conn:
        found = plain(service_state.snapshot(conn, settings.dispatch_lease_seconds))
    try:
        depths = declared(settings.amqp_uri, gauges.queues(settings))
        found["queues"] = [{"name": n, "ready": r, "consumers": c} for n, (r, c) in depths.items()]
    except Exception as exc:  # the broker away: the page says so
        log.warning("queue depths not read for the state page (%s)", type(exc).__name__)
        found["queues"] = None
    found["management_url"] = management_link(settings)
    return dict(found)
