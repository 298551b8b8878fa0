"""The quarantine page: certificates of unknown CAs sent by mail (Приложение 2), each with the letter it came in;
the administrator registers the CA (uploading its certificate, and its CRL if at hand) or refuses, and certmail then
sends the subscriber the result letter."""

import base64
from typing import Any

from nameko.web.handlers import http
from werkzeug import Request, Response

from services.gateway import messages
from services.gateway.needs import AdminBase
from services.gateway.pages.admin import admin_page, admins_only
from services.gateway.pages.admin_directory import actor_name
from services.gateway.settings import load as load_settings
from services.gateway.web import csrf
from services.gateway.web.errors import ADMIN_PAGE, handled

FILE_LIMIT = 1_000_000


def _file_b64(request: Request, name: str) -> str | None:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    return base64.b64encode(upload.read(FILE_LIMIT + 1)[:FILE_LIMIT]).decode()


class QuarantinePagesMixin(AdminBase):
    """Needs: needs.AdminNeeds."""

    def _quarantine_page(self, request: Request, status: int = 200, result: dict[str, Any] | None = None) -> Response:
        return admin_page(
            request,
            self.config,
            "admin_quarantine.html",
            "quarantine",
            status,
            entries=self.journal.quarantine_list(200),
            outcomes=messages.QUARANTINE_OUTCOMES,
            result=result,
        )

    @http("GET", "/admin/quarantine")
    @handled(ADMIN_PAGE)
    @admins_only
    def admin_quarantine(self, request: Request) -> Response:
        return self._quarantine_page(request)

    @http("POST", "/admin/quarantine/<int:entry_id>")
    @handled(ADMIN_PAGE)
    @admins_only
    def admin_quarantine_decide(self, request: Request, entry_id: int) -> Response:
        who = request.environ.get("ozsp.user") or {}
        if not csrf.check(request, load_settings(self.config).secret_key, int(who.get("user_id") or 0)):
            return self._quarantine_page(request, 403, {"ok": False, "message": messages.CSRF_FAILED})
        decision = request.form.get("decision", "")
        params: dict[str, Any] = {"reason": request.form.get("reason", "")[:300]}
        if decision == "release":
            params["ca_b64"] = _file_b64(request, "ca")
            params["crl_b64"] = _file_b64(request, "crl")
            if not params["ca_b64"]:
                return self._quarantine_page(request, 400, {"ok": False, "message": messages.QUARANTINE_NEEDS_CA})
        result = self.journal.quarantine_decide(entry_id, decision, params, actor_name(who))
        return self._quarantine_page(request, 200 if result["ok"] else 400, result)
