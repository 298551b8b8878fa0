"""The administrator's directory pages: lists with search and paging, an organisation's and a user's page, and the
one form handler that changes the directory through journal.directory_change (the code `ozsp directory` runs).
A change that locks someone out is shown with its effect and asks «Подтвердить» first."""

import base64
from typing import Any

from nameko.web.handlers import http
from werkzeug import Request, Response

from services.gateway import messages
from services.gateway.needs import AdminBase
from services.gateway.pages.admin import admin_page, admins_only
from services.gateway.settings import load as load_settings
from services.gateway.web import csrf
from services.gateway.web.errors import ADMIN_PAGE, handled
from services.gateway.web.templating import error_page

TEXT_FIELDS = (
    "id",
    "org",
    "name",
    "kind",
    "code",
    "ogrn",
    "surname",
    "first_name",
    "patronymic",
    "snils",
    "position",
    "user_id",
    "email",
    "serial",
)


def actor_name(who: dict[str, Any]) -> str:
    """The administrator as the audit names them: ФИО and the directory's user number."""
    name = " ".join(str(who.get(k) or "") for k in ("surname", "first_name", "patronymic")).split()
    return f"{' '.join(name)} (пользователь {who.get('user_id')})"


def form_params(request: Request) -> dict[str, Any]:
    """The posted form as directory_actions' params; an uploaded file as base64 (file_b64)."""
    form = request.form
    params: dict[str, Any] = {k: form.get(k, "")[:500] for k in TEXT_FIELDS if k in form}
    if "roles" in form or form.get("roles_sent"):
        params["roles"] = form.getlist("roles")[:5]
    if form.get("email") and form.get("action") == "user-add":
        params["emails"] = [form["email"]]
    upload = request.files.get("file")
    if upload is not None:
        params["file_b64"] = base64.b64encode(upload.read(1_000_001)).decode()
    return params


def safe_back(value: str | None) -> str:
    """Where to return after a change: only a page of the administrator's directory."""
    value = value or ""
    if value.startswith("/admin/directory") and "//" not in value and "\\" not in value:
        return value
    return "/admin/directory"


class DirectoryPagesMixin(AdminBase):
    """Needs: needs.AdminNeeds."""

    def _admin_page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        return admin_page(request, self.config, template, "directory", status, tabs=messages.DIRECTORY_TABS, **context)

    @http("GET", "/admin/directory")
    @handled(ADMIN_PAGE)
    @admins_only
    def admin_directory(self, request: Request) -> Response:
        tab = request.args.get("tab", "organizations")
        if tab not in messages.DIRECTORY_TABS:
            tab = "organizations"
        search = request.args.get("q", "")[:200]
        page = request.args.get("page", 1, type=int) or 1
        listing = self.journal.directory_view(tab, search, page)
        return self._admin_page(request, "admin_directory.html", tab=tab, search=search, listing=listing)

    @http("GET", "/admin/directory/organization/<int:org_id>")
    @handled(ADMIN_PAGE)
    @admins_only
    def admin_organization(self, request: Request, org_id: int) -> Response:
        org = self.journal.directory_record("organization", org_id)
        if org is None:
            return error_page(404, messages.NO_ORGANIZATION)
        return self._admin_page(request, "admin_organization.html", org=org)

    @http("GET", "/admin/directory/user/<int:user_id>")
    @handled(ADMIN_PAGE)
    @admins_only
    def admin_user(self, request: Request, user_id: int) -> Response:
        user = self.journal.directory_record("user", user_id)
        if user is None:
            return error_page(404, messages.NO_USER)
        return self._admin_page(request, "admin_user.html", user=user)

    @http("POST", "/admin/directory/change")
    @handled(ADMIN_PAGE)
    @admins_only
    def admin_directory_change(self, request: Request) -> Response:
        who = request.environ.get("ozsp.user") or {}
        back = safe_back(request.form.get("back"))
        if not csrf.check(request, load_settings(self.config).secret_key, int(who.get("user_id") or 0)):
            return self._admin_page(
                request, "admin_result.html", status=403, ok=False, message=messages.CSRF_FAILED, back=back
            )
        action = request.form.get("action", "")
        params = form_params(request)
        if not request.form.get("confirmed"):
            preview = self.journal.directory_lockout(action, params)
            if preview.get("error"):
                return self._admin_page(
                    request, "admin_result.html", status=400, ok=False, message=preview["error"], back=back
                )
            if preview.get("notice"):
                return self._admin_page(
                    request,
                    "admin_confirm.html",
                    action=action,
                    params=params,
                    notice=preview["notice"],
                    back=back,
                    title=messages.DIRECTORY_CONFIRM.get(action, "Подтвердите изменение"),
                )
        result = self.journal.directory_change(action, params, actor_name(who))
        return self._admin_page(
            request,
            "admin_result.html",
            status=200 if result["ok"] else 400,
            ok=result["ok"],
            message=result["message"],
            back=back,
        )
