"""gateway: web pages and the JSON API. Calls flk and journal by RPC."""
import logging

from nameko.dependency_providers import Config
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy
from nameko.web.handlers import http

from services.gateway.api import ApiError, FLK_FAILED, NOT_FOUND, UNAVAILABLE, json_response, parse_list_args, \
    parse_request_fields
from services.gateway.pages import PagesMixin
from services.gateway.web import install_nodelay

log = logging.getLogger(__name__)
install_nodelay()


def api(method):
    """Map ApiError to its JSON envelope; anything else to a 500 without details."""
    def wrapper(self, request, *args, **kwargs):
        try:
            return method(self, request, *args, **kwargs)
        except ApiError as exc:
            return json_response(exc.status, exc.body())
        except UnknownService as exc:
            log.error("service %s is not running", exc)
            return json_response(503, {"error": "unavailable", "message": UNAVAILABLE})
        except Exception:
            log.exception("API call failed")
            return json_response(500, {"error": "internal", "message": "Внутренняя ошибка сервиса."})
    wrapper.__name__ = method.__name__
    return wrapper


class GatewayService(PagesMixin):
    """The JSON API here; the web pages come from PagesMixin (services/gateway/pages.py)."""
    name = "gateway"
    flk = RpcProxy("flk")
    journal = RpcProxy("journal")
    bridge = RpcProxy("ferzl_bridge")
    config = Config()

    def identity(self, request):
        # The one place that decides who acts (pages and API alike). Until login exists, a fixed demo
        # identity; login will supply it from the session.
        return {"user_id": self.config["DEMO_USER_ID"], "organization_id": self.config["DEMO_ORGANIZATION_ID"]}

    @http("GET", "/api/v1/health")
    @api
    def health(self, request):
        return json_response(200, {"gateway": "ok", "flk": self.flk.ping(), "journal": self.journal.ping()})

    @http("POST", "/api/v1/requests")
    @api
    def create_request(self, request):
        fields = parse_request_fields(request.get_data())
        checked = self.flk.check_request(fields)
        if not checked["ok"]:
            raise ApiError(422, "flk", FLK_FAILED, errors=checked["errors"])
        created = self.journal.create_request(self.identity(request), checked["normalized"])
        return json_response(201, {**created, "params": checked["normalized"]},
                             headers={"Location": f"/api/v1/requests/{created['id']}"})

    @http("GET", "/api/v1/requests/<int:request_id>")
    @api
    def get_request(self, request, request_id):
        card = self.journal.get_request(self.identity(request), request_id)
        if card is None:
            raise ApiError(404, "not_found", NOT_FOUND)
        return json_response(200, card)

    @http("GET", "/api/v1/requests")
    @api
    def list_requests(self, request):
        filters, page, per_page = parse_list_args(request.args)
        return json_response(200, self.journal.list_requests(self.identity(request), filters, page, per_page))
