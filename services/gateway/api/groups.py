"""JSON API of group requests (manual §5): upload, list, card, requests, export. Mixed into GatewayService.

`submit_group()` and `export_response()` are shared with the group pages (pages/groups.py)."""

import base64
import time
from collections.abc import Iterable
from typing import Any

from nameko.web.handlers import http
from werkzeug import Request, Response
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import wrap_file

from services.gateway import messages
from services.gateway.api.parsing import iso_date, parse_list_args, writer
from services.gateway.files import exports
from services.gateway.needs import ApiBase, Record
from services.gateway.web.errors import API, ApiError, handled
from services.gateway.web.responses import json_response
from shared import text
from shared.status import SENT, group_label

MAX_UPLOAD = 20 * 1024 * 1024
MULTIPART_SLACK = 64 * 1024  # boundaries and the name field around the file
MAX_KEY = 200
FILENAME_MAX = 200


def limit_upload(request: Request) -> None:
    """Call before the form is read: werkzeug then refuses a larger body (RequestEntityTooLarge)."""
    request.max_content_length = MAX_UPLOAD + MULTIPART_SLACK


def upload_form(request: Request) -> tuple[str, FileStorage | None, list[Record]]:
    """(name, file storage or None, [{line, field, message}]) of an upload form (API and page alike)."""
    limit_upload(request)
    name = (request.form.get("name") or "").strip()
    upload = request.files.get("file")
    errors = []
    if not name:
        errors.append({"line": None, "field": "name", "message": messages.NAME_REQUIRED})
    elif len(name) > 100:
        errors.append({"line": None, "field": "name", "message": messages.NAME_TOO_LONG})
    elif not text.is_clean(name):  # NUL, line breaks, bidi controls: never stored, never in a file name
        errors.append({"line": None, "field": "name", "message": messages.NAME_UNSAFE})
    if upload is not None and upload.filename:
        upload.filename = text.cleaned(upload.filename).strip()[-FILENAME_MAX:] or "file"
    if upload is None or not upload.filename:
        errors.append({"line": None, "field": "file", "message": messages.FILE_REQUIRED})
    return name, upload, errors


def flk_refusal(errors: Iterable[Record], warnings: Iterable[Any] = ()) -> Record:
    return {"error": "flk", "message": messages.GROUP_FLK_FAILED, "errors": list(errors), "warnings": list(warnings)}


def too_big() -> Record:
    return {"error": "too_big", "message": messages.FILE_TOO_BIG}


class GroupsApiMixin(ApiBase):
    """Needs: needs.ApiNeeds."""

    def submit_group(self, request: Request, idempotency_key: str | None = None) -> tuple[int, Record]:
        """ФЛК of the uploaded file, then the group in one transaction: -> (status, body).

        202 {id, total, repeated, status, status_label, warnings}; 422 ФЛК report (nothing queued); 413.
        Stage times (ms) go to request.environ["ozsp.timing"] for the Server-Timing header."""
        identity = self.identity(request)
        try:
            name, upload, errors = upload_form(request)
            if errors or upload is None:
                return 422, flk_refusal(errors)
            content = upload.read(MAX_UPLOAD + 1)
        except RequestEntityTooLarge:
            return 413, too_big()
        if len(content) > MAX_UPLOAD:
            return 413, too_big()
        timing = request.environ.setdefault("ozsp.timing", {})
        started = time.perf_counter()
        checked = self.flk.check_group(base64.b64encode(content).decode(), upload.filename)
        timing["flk"] = (time.perf_counter() - started) * 1000
        del content
        if not checked["ok"]:
            return 422, flk_refusal(checked["errors"], checked.get("warnings", []))
        started = time.perf_counter()
        created = self.journal.create_group(
            identity,
            name,
            upload.filename,
            checked["columns"],
            checked["rows"],
            checked.get("encoding"),
            idempotency_key,
        )
        timing["journal"] = (time.perf_counter() - started) * 1000
        status = {"status": SENT, "status_label": group_label(SENT)}
        return 202, {**created, **status, "warnings": checked.get("warnings", [])}

    @http("POST", "/api/v1/groups")
    @handled(API)
    def api_create_group(self, request: Request) -> Response:
        writer(self, request)  # CSRF: before the upload is read
        if (request.content_length or 0) > MAX_UPLOAD + MULTIPART_SLACK:
            raise ApiError(413, "too_big", messages.FILE_TOO_BIG)
        if not request.mimetype.startswith("multipart/form-data"):
            raise ApiError(400, "bad_request", messages.NOT_MULTIPART)
        key = request.headers.get("Idempotency-Key")
        if key is not None and (not 0 < len(key.strip()) <= MAX_KEY or not text.is_clean(key)):
            raise ApiError(400, "bad_request", messages.BAD_KEY)
        status, body = self.submit_group(request, key.strip() if key else None)
        headers = {"Location": f"/api/v1/groups/{body['id']}"} if status == 202 else {}
        timing = request.environ.get("ozsp.timing")
        if timing:
            headers["Server-Timing"] = ", ".join(f"{stage};dur={ms:.0f}" for stage, ms in timing.items())
        return json_response(status, body, headers)

    @http("GET", "/api/v1/groups")
    @handled(API)
    def api_list_groups(self, request: Request) -> Response:
        args = request.args
        date_from = iso_date("date_from", args["date_from"]) if args.get("date_from") else None
        date_to = iso_date("date_to", args["date_to"]) if args.get("date_to") else None
        _, page, per_page = parse_list_args({"page": args.get("page", "1"), "per_page": args.get("per_page", "50")})
        return json_response(200, self.journal.list_groups(self.identity(request), date_from, date_to, page, per_page))

    def _group_or_404(self, request: Request, group_id: int) -> Record:
        group = self.journal.get_group(self.identity(request), group_id)
        if group is None:
            raise ApiError(404, "not_found", messages.GROUP_NOT_FOUND)
        return group

    @http("GET", "/api/v1/groups/<int:group_id>")
    @handled(API)
    def api_get_group(self, request: Request, group_id: int) -> Response:
        return json_response(200, self._group_or_404(request, group_id))

    @http("GET", "/api/v1/groups/<int:group_id>/requests")
    @handled(API)
    def api_group_requests(self, request: Request, group_id: int) -> Response:
        self._group_or_404(request, group_id)
        filters, page, per_page = parse_list_args(request.args)
        filters["group_id"] = group_id
        return json_response(200, self.journal.list_requests(self.identity(request), filters, page, per_page))

    def export_response(self, request: Request, group_id: int, kind: str) -> Response:
        """The answer file of a group (manual §5.3), spooled page by page; ApiError 404/400."""
        encoding = request.args.get("encoding", "utf-8").lower()
        if kind == "csv" and encoding not in exports.ENCODINGS:
            raise ApiError(400, "bad_filter", messages.BAD_ENCODING)
        group = self._group_or_404(request, group_id)
        identity = self.identity(request)
        form = "cells" if kind == "xlsx" else "csv"
        items = exports.rows_ahead(
            lambda after, limit: self.journal.export_page.call_async(identity, group_id, after, limit, form), field=form
        )
        if kind == "xlsx":
            body = exports.xlsx_file(items, group["name"])
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body = exports.csv_file(items, encoding)
            content_type = f"text/csv; charset={'utf-8' if encoding == 'utf-8' else 'windows-1251'}"
        size = exports.size_of(body)
        return Response(
            wrap_file(request.environ, body),
            content_type=content_type,
            direct_passthrough=True,
            headers={
                "Content-Disposition": exports.content_disposition(group["name"], kind),
                "Content-Length": str(size),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @http("GET", "/api/v1/groups/<int:group_id>/export.csv")
    @handled(API)
    def api_export_csv(self, request: Request, group_id: int) -> Response:
        return self.export_response(request, group_id, "csv")

    @http("GET", "/api/v1/groups/<int:group_id>/export.xlsx")
    @handled(API)
    def api_export_xlsx(self, request: Request, group_id: int) -> Response:
        return self.export_response(request, group_id, "xlsx")
