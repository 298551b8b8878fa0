"""JSON API of group requests (manual §5): upload, list, card, requests, export. Mixed into GatewayService."""
import base64

from nameko.web.handlers import http
from werkzeug import Response
from werkzeug.wsgi import wrap_file

from services.gateway import exports
from services.gateway.api import ApiError, api_call, json_response, parse_list_args, _iso_date

MAX_UPLOAD = 20 * 1024 * 1024
NAME_REQUIRED = "Заполните поле «Имя запроса»"
NAME_TOO_LONG = "Имя запроса — не более 100 символов"
FILE_REQUIRED = "Выберите файл группового запроса (CSV)"
FILE_TOO_BIG = "Файл больше 20 МБ. Разделите список на несколько файлов"
GROUP_FLK_FAILED = "Файл не прошёл форматно-логический контроль: запрос не принят к исполнению. Исправьте ошибки " \
                   "и загрузите другой файл."
GROUP_NOT_FOUND = "Групповой запрос не найден."
BAD_ENCODING = "Кодировка выгрузки: utf-8 или cp1251."


class GroupsApiMixin:
    """Needs from the service: flk and journal RPC proxies and identity(request)."""

    def submit_group(self, request):
        """Shared by the API and the upload page: -> (status, body)."""
        name = (request.form.get("name") or "").strip()
        upload = request.files.get("file")
        errors = []
        if not name:
            errors.append({"line": None, "field": "name", "message": NAME_REQUIRED})
        elif len(name) > 100:
            errors.append({"line": None, "field": "name", "message": NAME_TOO_LONG})
        if upload is None or not upload.filename:
            errors.append({"line": None, "field": "file", "message": FILE_REQUIRED})
        if errors:
            return 422, {"error": "flk", "message": GROUP_FLK_FAILED, "errors": errors, "warnings": []}
        content = upload.read(MAX_UPLOAD + 1)
        if len(content) > MAX_UPLOAD:
            return 413, {"error": "too_big", "message": FILE_TOO_BIG}
        checked = self.flk.check_group(base64.b64encode(content).decode(), upload.filename)
        if not checked["ok"]:
            return 422, {"error": "flk", "message": GROUP_FLK_FAILED, "errors": checked["errors"],
                         "warnings": checked.get("warnings", [])}
        created = self.journal.create_group(self.identity(request), name, upload.filename, checked["columns"],
                                           checked["rows"], checked.get("encoding"),
                                           request.headers.get("Idempotency-Key"))
        return 202, {**created, "status": "sent", "status_label": "Отправлен", "warnings": checked.get("warnings", [])}

    @http("POST", "/api/v1/groups")
    @api_call
    def api_create_group(self, request):
        if request.content_length and request.content_length > MAX_UPLOAD + 64 * 1024:
            raise ApiError(413, "too_big", FILE_TOO_BIG)
        if not request.mimetype.startswith("multipart/form-data"):
            raise ApiError(400, "bad_request", "Ожидается multipart/form-data с полями name и file.")
        status, body = self.submit_group(request)
        headers = {"Location": f"/api/v1/groups/{body['id']}"} if status == 202 else None
        return json_response(status, body, headers)

    @http("GET", "/api/v1/groups")
    @api_call
    def api_list_groups(self, request):
        args = request.args
        date_from = _iso_date("date_from", args["date_from"]) if args.get("date_from") else None
        date_to = _iso_date("date_to", args["date_to"]) if args.get("date_to") else None
        _, page, per_page = parse_list_args({"page": args.get("page", "1"), "per_page": args.get("per_page", "50")})
        return json_response(200, self.journal.list_groups(self.identity(request), date_from, date_to, page, per_page))

    def _group_or_404(self, request, group_id):
        group = self.journal.get_group(self.identity(request), group_id)
        if group is None:
            raise ApiError(404, "not_found", GROUP_NOT_FOUND)
        return group

    @http("GET", "/api/v1/groups/<int:group_id>")
    @api_call
    def api_get_group(self, request, group_id):
        return json_response(200, self._group_or_404(request, group_id))

    @http("GET", "/api/v1/groups/<int:group_id>/requests")
    @api_call
    def api_group_requests(self, request, group_id):
        self._group_or_404(request, group_id)
        filters, page, per_page = parse_list_args(request.args)
        filters["group_id"] = group_id
        return json_response(200, self.journal.list_requests(self.identity(request), filters, page, per_page))

    def export_response(self, request, group_id, kind):
        group = self._group_or_404(request, group_id)
        identity = self.identity(request)
        cell_rows = exports.rows(lambda after, limit: self.journal.export_page(identity, group_id, after, limit))
        if kind == "xlsx":
            body = exports.xlsx_file(cell_rows, group["name"])
            mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            encoding = request.args.get("encoding", "utf-8").lower()
            if encoding not in exports.ENCODINGS:
                raise ApiError(400, "bad_filter", BAD_ENCODING)
            body = exports.csv_file(cell_rows, encoding)
            mimetype = f"text/csv; charset={'utf-8' if encoding == 'utf-8' else 'windows-1251'}"
        return Response(wrap_file(request.environ, body), mimetype=mimetype, direct_passthrough=True,
                        headers={"Content-Disposition": exports.content_disposition(group["name"], kind)})

    @http("GET", "/api/v1/groups/<int:group_id>/export.csv")
    @api_call
    def api_export_csv(self, request, group_id):
        return self.export_response(request, group_id, "csv")

    @http("GET", "/api/v1/groups/<int:group_id>/export.xlsx")
    @api_call
    def api_export_xlsx(self, request, group_id):
        return self.export_response(request, group_id, "xlsx")
