"""JSON API of watch lists (#22): /api/v1/watchlists — create from a finished group, list, read, pause/resume and
other changes, a new file (ФЛК as for a group upload), delete. Mixed into GatewayService."""

import base64
import json
from typing import Any

from nameko.web.handlers import http
from werkzeug import Request, Response
from werkzeug.exceptions import RequestEntityTooLarge

from services.gateway import messages
from services.gateway.api.groups import MAX_UPLOAD, flk_refusal, limit_upload, too_big
from services.gateway.api.parsing import require_json, writer
from services.gateway.needs import ApiBase, Identity, Record
from services.gateway.web.errors import API, ApiError, handled
from services.gateway.web.responses import json_response
from shared import text


def _body(request: Request) -> dict[str, Any]:
    require_json(request)
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        raise ApiError(400, "bad_request", messages.WATCHLIST_BAD_BODY) from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", messages.WATCHLIST_BAD_BODY)
    return body


def _refused(result: Record | None) -> Record:
    if result is None:
        raise ApiError(404, "not_found", messages.WATCHLIST_NOT_FOUND)
    if "error" in result:
        raise ApiError(422, "invalid", result["error"])
    return result


class WatchlistsApiMixin(ApiBase):
    """Needs: needs.ApiNeeds."""

    def replace_watchlist_file(self, request: Request, identity: Identity, list_id: int) -> tuple[int, Record]:
        """ФЛК of an uploaded file, then the list's rows: -> (status, body); shared with the page."""
        limit_upload(request)
        try:
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                return 422, flk_refusal([{"line": None, "field": "file", "message": messages.FILE_REQUIRED}])
            filename = text.cleaned(upload.filename).strip()[-200:] or "file"
            content = upload.read(MAX_UPLOAD + 1)
        except RequestEntityTooLarge:
            return 413, too_big()
        if len(content) > MAX_UPLOAD:
            return 413, too_big()
        if self.journal.watchlist_get(identity, list_id) is None:
            raise ApiError(404, "not_found", messages.WATCHLIST_NOT_FOUND)
        checked = self.flk.check_group(base64.b64encode(content).decode(), filename)
        if not checked["ok"]:
            return 422, flk_refusal(checked["errors"], checked.get("warnings", []))
        updated = self.journal.watchlist_replace(identity, list_id, filename, checked["columns"], checked["rows"])
        return 200, _refused(updated)

    @http("POST", "/api/v1/watchlists")
    @handled(API)
    def api_create_watchlist(self, request: Request) -> Response:
        identity = writer(self, request)
        body = _body(request)
        group_id = body.get("group_id")
        if not isinstance(group_id, int) or isinstance(group_id, bool):
            raise ApiError(400, "bad_request", messages.WATCHLIST_BAD_BODY)
        email = body.get("email", False)
        if not isinstance(email, bool):
            raise ApiError(400, "bad_request", messages.WATCHLIST_BAD_BODY)
        created = _refused(
            self.journal.watchlist_create(identity, group_id, str(body.get("period") or ""), email, body.get("name"))
        )
        return json_response(201, created, headers={"Location": f"/api/v1/watchlists/{created['id']}"})

    @http("GET", "/api/v1/watchlists")
    @handled(API)
    def api_list_watchlists(self, request: Request) -> Response:
        return json_response(200, {"items": self.journal.watchlist_list(self.identity(request))})

    @http("GET", "/api/v1/watchlists/<int:list_id>")
    @handled(API)
    def api_get_watchlist(self, request: Request, list_id: int) -> Response:
        return json_response(200, _refused(self.journal.watchlist_get(self.identity(request), list_id)))

    @http("PATCH", "/api/v1/watchlists/<int:list_id>")
    @handled(API)
    def api_update_watchlist(self, request: Request, list_id: int) -> Response:
        identity = writer(self, request)
        changes = {k: v for k, v in _body(request).items() if k in ("paused", "period", "email", "name")}
        return json_response(200, _refused(self.journal.watchlist_update(identity, list_id, changes)))

    @http("POST", "/api/v1/watchlists/<int:list_id>/file")
    @handled(API)
    def api_watchlist_file(self, request: Request, list_id: int) -> Response:
        identity = writer(self, request)
        if not request.mimetype.startswith("multipart/form-data"):
            raise ApiError(400, "bad_request", messages.NOT_MULTIPART)
        status, body = self.replace_watchlist_file(request, identity, list_id)
        return json_response(status, body)

    @http("DELETE", "/api/v1/watchlists/<int:list_id>")
    @handled(API)
    def api_delete_watchlist(self, request: Request, list_id: int) -> Response:
        if not self.journal.watchlist_delete(writer(self, request), list_id):
            raise ApiError(404, "not_found", messages.WATCHLIST_NOT_FOUND)
        return Response(status=204)
