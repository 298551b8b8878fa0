"""JSON API of individual requests (and the health check), mixed into GatewayService."""

from typing import Any

from nameko.web.handlers import http
from werkzeug import Request, Response

from services.gateway import messages
from services.gateway.api.parsing import parse_list_args, parse_request_fields, require_json, writer
from services.gateway.auth.login import SESSION_COOKIE
from services.gateway.needs import ApiBase
from services.gateway.web import csrf
from services.gateway.web.errors import API, ApiError, handled
from services.gateway.web.responses import json_response
from services.gateway.web.started import Started


class RequestsApiMixin(ApiBase):
    """Needs: needs.ApiNeeds."""

    @http("GET", "/api/v1/health")
    @handled(API)
    def health(self, request: Request) -> Response:
        return json_response(200, {"gateway": "ok", "flk": self.flk.ping(), "journal": self.journal.ping()})

    @http("POST", "/api/v1/requests")
    @handled(API)
    def create_request(self, request: Request) -> Response:
        """With a header token naming its user (csrf.writer_of), ФЛК is asked first and the journal checks the
        session in the same call that creates the request; otherwise, or when anything is refused, the session
        check comes first as on every call (401 and 403 before the body's errors)."""
        token = request.cookies.get(SESSION_COOKIE)
        claimed = csrf.writer_of(request, self.config["SECRET_KEY"]) if token else None
        if claimed is None:
            self.ask_identity_early(request)
        body = self._body_checking(request)
        checked = None
        if claimed is not None and not isinstance(body, ApiError) and body[1] is not None:
            checked = body[1].result()
            if checked["ok"]:
                created = self.journal.create_request_in_session(
                    token,
                    self.config["SESSION_IDLE_MINUTES"],
                    self.config["SESSION_ABSOLUTE_HOURS"],
                    claimed,
                    checked["normalized"],
                )
                if not created.get("refused"):
                    return self._created(created, checked)
        identity = writer(self, request)  # refused above too: the session check says why (401, 403), as always
        if isinstance(body, ApiError):
            raise body
        fields, checking = body
        if checked is None:
            checked = checking.result() if checking is not None else self.flk.check_request(fields)
        if not checked["ok"]:
            raise ApiError(422, "flk", messages.FLK_FAILED, errors=checked["errors"])
        return self._created(self.journal.create_request(identity, checked["normalized"]), checked)

    def _created(self, created: dict[str, Any], checked: dict[str, Any]) -> Response:
        return json_response(
            201, {**created, "params": checked["normalized"]}, headers={"Location": f"/api/v1/requests/{created['id']}"}
        )

    def _body_checking(self, request: Request) -> tuple[dict[str, str | None], Any] | ApiError:
        """The body's fields and their ФЛК started (call_async) while the session check runs, so the two RPCs overlap;
        or the body's ApiError, which the caller raises only after the session check (401 and 403 come first).
        Without a session cookie nothing is started (None in place of the pending reply)."""
        try:
            require_json(request)
            fields = parse_request_fields(request.get_data())
        except ApiError as exc:
            return exc
        started = Started(self.flk.check_request.call_async, fields) if request.cookies.get(SESSION_COOKIE) else None
        return fields, started

    @http("GET", "/api/v1/requests/<int:request_id>")
    @handled(API)
    def get_request(self, request: Request, request_id: int) -> Response:
        card = self.journal.get_request(self.identity(request), request_id)
        if card is None:
            raise ApiError(404, "not_found", messages.NOT_FOUND)
        return json_response(200, card)

    @http("POST", "/api/v1/requests/<int:request_id>/refresh")
    @handled(API)
    def refresh_request(self, request: Request, request_id: int) -> Response:
        """«Обновить из ФЕРЗЛ»: a new request with the parameters of this one, always a ФЕРЗЛ call."""
        identity = writer(self, request)
        card = self.journal.get_request(identity, request_id)
        if card is None:
            raise ApiError(404, "not_found", messages.NOT_FOUND)
        created = self.journal.create_request(identity, card["params"], 0)
        return json_response(
            201, {**created, "params": card["params"]}, headers={"Location": f"/api/v1/requests/{created['id']}"}
        )

    @http("GET", "/api/v1/requests")
    @handled(API)
    def list_requests(self, request: Request) -> Response:
        filters, page, per_page = parse_list_args(request.args)
        return json_response(200, self.journal.list_requests(self.identity(request), filters, page, per_page))
