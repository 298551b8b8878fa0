"""Group request pages (manual §5, Рисунок 12–16) and the completion pop-up's endpoint, mixed into GatewayService.

Handlers stay thin: the upload itself is GroupsApiMixin.submit_group, the files its export_response."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from nameko.web.handlers import http
from werkzeug import Request, Response
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import redirect

from services.gateway import messages
from services.gateway.api import groups as groups_api
from services.gateway.api.groups import upload_form
from services.gateway.files import exports, flk_report, kept_uploads
from services.gateway.needs import GroupPagesBase, Identity, Record
from services.gateway.pages import captcha, views
from services.gateway.settings import PageSettings
from services.gateway.web import csrf
from services.gateway.web.errors import API, PAGE, ApiError, handled
from services.gateway.web.responses import json_response
from services.gateway.web.templating import error_page, render
from shared import clock


class GroupPagesMixin(GroupPagesBase):
    """Needs: needs.GroupPagesNeeds (PagesMixin's page helpers, GroupsApiMixin's upload and export)."""

    # ---------------- upload (Рисунок 12) and the ФЛК result (Рисунок 14) ----------------

    def _upload_page(
        self,
        request: Request,
        name: str = "",
        errors: Mapping[str, str] | None = None,
        notice: str | None = None,
        status: int = 200,
        kept: Mapping[str, str] | None = None,
    ) -> Response:
        return self._captcha_form(
            request,
            self.identity(request),
            "group.html",
            "group",
            status,
            values={"name": name},
            errors=errors or {},
            notice=notice,
            name_field=views.GROUP_NAME_FIELD,
            max_bytes=groups_api.MAX_UPLOAD,
            too_big=messages.FILE_TOO_BIG,
            kept=kept,
            kept_field=kept_uploads.FIELD,
        )

    @http("GET", "/group")
    @handled(PAGE)
    def group_page(self, request: Request) -> Response:
        """The upload form; ?name= keeps the request name of «Загрузить другой файл» (Рисунок 14)."""
        return self._upload_page(request, (request.args.get("name") or "").strip()[:100])

    @http("POST", "/group")
    @handled(PAGE)
    def group_submit(self, request: Request) -> Response:
        """«Направить запрос»: CSRF, CAPTCHA, then ФЛК of the file; a refused file queues nothing."""
        identity, conf = self.identity(request), self._settings()
        try:
            name, upload, problems = upload_form(request)
        except RequestEntityTooLarge:
            return self._upload_page(request, errors={"file": messages.FILE_TOO_BIG}, status=413)
        if not csrf.check(request, conf.secret_key, identity["user_id"]):
            return self._upload_page(request, name, notice=messages.CSRF_FAILED, status=403)
        user_id, kept = identity["user_id"], None
        found = None if upload else kept_uploads.load(self.journal, user_id, request.form.get(kept_uploads.FIELD))
        if found:  # the file of the previous try, kept on the server: not chosen again
            kept, content = found
            upload = kept_uploads.use_as_upload(request, kept["filename"], content)
            problems = [p for p in problems if p["field"] != "file"]
        errors = {p["field"]: p["message"] for p in problems}
        answer = request.form.get("captcha", "")
        if not self.journal.captcha_check(
            request.form.get("captcha_id", ""), captcha.answer_hash(conf.secret_key, answer)
        ):
            errors["captcha"] = messages.CAPTCHA_WRONG if captcha.normalize(answer) else messages.CAPTCHA_REQUIRED
        if errors:
            if upload and not kept and "file" not in errors:  # keep the chosen file for the next try
                content = upload.read(groups_api.MAX_UPLOAD + 1)
                if len(content) <= groups_api.MAX_UPLOAD:
                    kept = kept_uploads.store(self.journal, user_id, upload.filename or "file", content)
            return self._upload_page(request, name, errors, notice=messages.GROUP_FLK_NOTICE, status=422, kept=kept)
        status, body = self.submit_group(request)
        if kept:
            kept_uploads.discard(self.journal, user_id, kept["token"])
        if status == 202:
            return redirect(
                "/group/journal?" + urlencode({"created": body["id"], "warnings": len(body["warnings"])}), code=303
            )
        if status == 413:
            return self._upload_page(request, name, {"file": body["message"]}, status=413)
        return self._flk_page(request, identity, conf, name, upload.filename if upload else None, body)

    def _flk_page(
        self, request: Request, identity: Identity, conf: PageSettings, name: str, filename: str | None, body: Record
    ) -> Response:
        return csrf.with_token(
            request,
            conf.secret_key,
            identity["user_id"],
            lambda form: self._page(
                "group_flk.html",
                "group",
                status=422,
                group_name=name,
                filename=filename,
                message=body["message"],
                errors=views.flk_rows(body["errors"]),
                warnings=body.get("warnings") or [],
                report=flk_report.issue(conf.secret_key, identity["user_id"], body["errors"]),
                **form,
            ),
        )

    @http("POST", "/group/flk-errors.csv")
    @handled(PAGE)
    def group_flk_errors(self, request: Request) -> Response:
        """The ФЛК errors of the page, as CSV (the report comes back signed from the page itself)."""
        identity, conf = self.identity(request), self._settings()
        if not csrf.check(request, conf.secret_key, identity["user_id"]):
            return error_page(403, messages.CSRF_FAILED)
        errors = flk_report.read(conf.secret_key, identity["user_id"], request.form.get("report"))
        if errors is None:
            return error_page(400, messages.REPORT_INVALID)
        return Response(
            flk_report.csv_bytes(errors),
            mimetype="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": exports.content_disposition(flk_report.NAME, "csv"),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    # ---------------- the journal of group requests (Рисунок 15) ----------------

    @http("GET", "/group/journal")
    @handled(PAGE)
    def group_journal_page(self, request: Request) -> Response:
        identity, today = self.identity(request), clock.today()
        query = views.group_journal_query(request.args, today)
        result: Record | None = None
        rows: list[Record] = []
        if not query["errors"]:
            result = self.journal.list_groups(
                identity,
                query["filters"]["date_from"],
                query["filters"]["date_to"],
                query["page"],
                views.GROUP_PAGE_SIZE,
            )
            rows = views.group_rows(result["items"])
        live = {"page": query["page"], "part": "table"} | (
            {"period": query["form"]["period"]} if query["searching"] else {}
        )
        context: dict[str, Any] = {
            "query": query,
            "rows": rows,
            "journal_url": "/group/journal",
            "pending": result is not None and views.any_group_pending(result, rows),
            "paging": views.pager(result["page"], result["per_page"], result["total"], True, len(rows))
            if result
            else None,
            "live_url": "/group/journal?" + urlencode(live),
        }
        if request.args.get("part") == "table":  # the live refresh while groups are processed
            return render("_group_table.html", **context)
        return self._page(
            "group_journal.html",
            "group_journal",
            quick=views.quick_ranges(today),
            created=self._created_notice(identity, request.args),
            **context,
        )

    def _created_notice(self, identity: Identity, args: Mapping[str, str]) -> Record | None:
        created = args.get("created", "")
        group = self.journal.get_group(identity, int(created)) if created.isdigit() else None
        if group is None:
            return None
        warnings = args.get("warnings", "")
        return {"name": group["name"], "total": group["total"], "warnings": int(warnings) if warnings.isdigit() else 0}

    # ---------------- one group (Рисунок 16) and its files ----------------

    @http("GET", "/group/<int:group_id>")
    @handled(PAGE)
    def group_requests_page(self, request: Request, group_id: int) -> Response:
        """The group's requests with the individual journal's filters (§6); each row opens the request card."""
        identity = self.identity(request)
        group = self.journal.get_group(identity, group_id)
        if group is None:
            return error_page(404, messages.GROUP_NOT_FOUND)
        query = views.journal_query(request.args)
        result = None
        if not query["errors"]:
            result = self.journal.list_requests(
                identity, {**query["filters"], "group_id": group_id}, query["page"], views.JOURNAL_PAGE_SIZE
            )
        rows, paging = views.journal_listing(result)
        return csrf.with_token(  # the form of «Сохранить как список наблюдения» (#22)
            request,
            self._settings().secret_key,
            identity["user_id"],
            lambda form: self._page(
                "group_requests.html",
                "group_journal",
                group=views.group_rows([group])[0],
                query=query,
                rows=rows,
                paging=paging,
                statuses=views.STATUS_CHOICES,
                quick=views.quick_ranges(clock.today()),
                journal_url=f"/group/{group_id}",
                **form,
            ),
        )

    @http("GET", "/group/<int:group_id>/export.csv")
    @handled(PAGE)
    def group_export_csv(self, request: Request, group_id: int) -> Response:
        return self.export_response(request, group_id, "csv")

    @http("GET", "/group/<int:group_id>/export.xlsx")
    @handled(PAGE)
    def group_export_xlsx(self, request: Request, group_id: int) -> Response:
        return self.export_response(request, group_id, "xlsx")

    # ---------------- «Завершена обработка групповых запросов» (manual §5.3) ----------------

    @http("GET", "/group/notices")
    @handled(API)
    def group_notices(self, request: Request) -> Response:
        """Groups of the user finished since the last call, each announced once; app.js polls it on every page."""
        identity = self.identity(request)
        if not csrf.fetch_ok(request):  # taking notices changes them: never for a page of another origin
            raise ApiError(403, "csrf", messages.CSRF_REFUSED)
        notices = self.journal.take_finished_notices(identity)
        keys = ("id", "name", "recheck", "changed", "total")  # the last three: a watch list's re-check (#22)
        return json_response(200, {"notices": [{k: n[k] for k in keys if k in n} for n in notices]})
