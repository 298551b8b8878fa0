"""gateway: web pages and the JSON API. Calls flk and journal by RPC.

The handlers live in the mixins (api/, pages/, auth/); this module puts them together as one nameko service."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy
from werkzeug import Response

from services.gateway.api.groups import GroupsApiMixin
from services.gateway.api.requests import RequestsApiMixin
from services.gateway.api.watchlists import WatchlistsApiMixin
from services.gateway.auth.login import LoginMixin
from services.gateway.pages.admin import AdminMixin
from services.gateway.pages.admin_audit import AuditPagesMixin
from services.gateway.pages.admin_directory import DirectoryPagesMixin
from services.gateway.pages.admin_quarantine import QuarantinePagesMixin
from services.gateway.pages.admin_state import StatePagesMixin
from services.gateway.pages.groups import GroupPagesMixin
from services.gateway.pages.individual import PagesMixin
from services.gateway.pages.watchlists import WatchlistPagesMixin
from services.gateway.web import bodies
from services.gateway.web.responses import json_response
from services.gateway.web.server import install_body_limits, install_exclusive_port, install_nodelay
from services.gateway.web.templating import error_page
from shared import memory
from shared.heartbeat import Heartbeat
from shared.metrics import MetricsEndpoint

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

log = logging.getLogger(__name__)


def refuse_body(environ: WSGIEnvironment) -> Response | None:
    """A 413 (or 411) for a request whose body may not be read (services/gateway/web/bodies.py), else None; the
    connection is closed after it, so the rest of the body is never read."""
    refused = bodies.refusal(environ)
    if refused is None:
        return None
    status, message = refused
    kind, body = bodies.refusal_body(environ.get("PATH_INFO", ""), status, message)
    if kind == "json":
        return json_response(status, body)
    return error_page(status, body)


install_nodelay()
install_exclusive_port()
install_body_limits(refuse_body)


class GatewayService(
    LoginMixin,
    AdminMixin,
    DirectoryPagesMixin,
    AuditPagesMixin,
    QuarantinePagesMixin,
    StatePagesMixin,
    GroupsApiMixin,
    RequestsApiMixin,
    WatchlistsApiMixin,
    PagesMixin,
    WatchlistPagesMixin,
    GroupPagesMixin,  # after the mixins it needs, so that to mypy their methods come before its needs' stubs
    memory.ReleasesMemory,
):
    """Login (auth/login.py), the JSON API (api/), the web pages (pages/)."""

    name = "gateway"
    heartbeat = Heartbeat()  # HEARTBEAT_FILE for the container healthcheck
    metrics = MetricsEndpoint()  # /metrics on METRICS_PORT_<service> (shared/metrics.py)
    flk = RpcProxy("flk")
    journal = RpcProxy("journal")
    bridge = RpcProxy("ferzl_bridge")
    config = Config()


if TYPE_CHECKING:  # mypy: the service provides every need of every mixin (needs.py), or this fails
    GatewayService()
