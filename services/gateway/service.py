"""gateway: web pages and the JSON API. Calls flk and journal by RPC."""

import logging

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy
from nameko.web.handlers import http

from services.gateway import messages
from services.gateway.api.groups import GroupsApiMixin
from services.gateway.api.parsing import (
    ApiError,
    json_response,
    parse_list_args,
    parse_request_fields,
    require_json,
    writer,
)
from services.gateway.api.parsing import api_call as api
from services.gateway.auth.login import LoginMixin
from services.gateway.pages.admin import AdminMixin
from services.gateway.pages.groups import GroupPagesMixin
from services.gateway.pages.individual import PagesMixin
from services.gateway.web import bodies
from services.gateway.web.server import install_body_limits, install_exclusive_port, install_nodelay
from services.gateway.web.templating import render
from shared import memory
from shared.heartbeat import Heartbeat

log = logging.getLogger(__name__)


def refuse_body(environ):
    """A 413 (or 411) for a request whose body may not be read (services/gateway/bodies.py), else None; the
    connection is closed after it, so the rest of the body is never read."""
    refused = bodies.refusal(environ)
    if refused is None:
        return None
    status, message = refused
    kind, body = bodies.refusal_body(environ.get("PATH_INFO", ""), status, message)
    if kind == "json":
        return json_response(status, body)
    return render("error.html", status=status, active=None, banner=None, message=body)


install_nodelay()
install_exclusive_port()
install_body_limits(refuse_body)


class GatewayService(LoginMixin, AdminMixin, GroupPagesMixin, GroupsApiMixin, PagesMixin, memory.ReleasesMemory):
    """The JSON API here; login from LoginMixin (login.py), web pages from PagesMixin (pages.py)."""

    name = "gateway"
    heartbeat = Heartbeat()  # HEARTBEAT_FILE for the container healthcheck
    flk = RpcProxy("flk")
    journal = RpcProxy("journal")
    bridge = RpcProxy("ferzl_bridge")
    config = Config()

    @http("GET", "/api/v1/health")
    @api
    def health(self, request):
        return json_response(200, {"gateway": "ok", "flk": self.flk.ping(), "journal": self.journal.ping()})

    @http("POST", "/api/v1/requests")
    @api
    def create_request(self, request):
        identity = writer(self, request)
        require_json(request)
        fields = parse_request_fields(request.get_data())
        checked = self.flk.check_request(fields)
        if not checked["ok"]:
            raise ApiError(422, "flk", messages.FLK_FAILED, errors=checked["errors"])
        created = self.journal.create_request(identity, checked["normalized"])
        return json_response(
            201, {**created, "params": checked["normalized"]}, headers={"Location": f"/api/v1/requests/{created['id']}"}
        )

    @http("GET", "/api/v1/requests/<int:request_id>")
    @api
    def get_request(self, request, request_id):
        card = self.journal.get_request(self.identity(request), request_id)
        if card is None:
            raise ApiError(404, "not_found", messages.NOT_FOUND)
        return json_response(200, card)

    @http("GET", "/api/v1/requests")
    @api
    def list_requests(self, request):
        filters, page, per_page = parse_list_args(request.args)
        return json_response(200, self.journal.list_requests(self.identity(request), filters, page, per_page))
