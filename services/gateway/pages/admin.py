"""Administrator's pages: the certificate mail (outgoing letters and the letter journal) and the printable
application of Приложение 1 (the directory's pages are admin_directory.py). Only users with the role «admin» see
them; anyone else is refused and the refusal audited."""

import functools
from collections.abc import Callable
from typing import Any, cast

from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug import Request, Response

from services.gateway import messages
from services.gateway.needs import AdminBase, AdminNeeds
from services.gateway.settings import load as load_settings
from services.gateway.web import csrf
from services.gateway.web.errors import ADMIN_PAGE, Handler, handled
from services.gateway.web.templating import PAGE_HEADERS, error_page, render


def admin_page(
    request: Request, config: Any, template: str, section: str, status: int = 200, **context: Any
) -> Response:
    """An administrator's page (`section` lit in its menu) whose forms carry the administrator's CSRF token."""
    who = request.environ.get("ozsp.user") or {}
    return csrf.with_token(
        request,
        load_settings(config).secret_key,
        int(who.get("user_id") or 0),
        lambda form: render(
            template, status=status, active=None, banner=None, who=who, admin_active=section, **form, **context
        ),
    )


def role_required(*roles: str) -> Callable[[Handler], Handler]:
    """Users with one of these roles; anyone else gets a 403 page and the refusal is audited (admin.refused, with
    the path); no session: NotAuthenticated from identity (the login page)."""

    def decorate(method: Handler) -> Handler:
        @functools.wraps(method)
        def wrapper(self: AdminNeeds, request: Request, *args: Any, **kwargs: Any) -> Response:
            identity = self.identity(request)
            user = request.environ.get("ozsp.user") or {}
            if not set(roles) & set(user.get("roles") or []):
                self.journal.audit(
                    "admin.refused",
                    request.path[:200],
                    {"method": request.method, "roles": list(roles)},
                    identity["user_id"],
                    identity["organization_id"],
                )
                return error_page(403, messages.ADMINS_ONLY)
            return method(self, request, *args, **kwargs)

        return cast(Handler, wrapper)

    return decorate


admins_only = role_required("admin")


class AdminMixin(AdminBase):
    """Needs: needs.AdminNeeds."""

    certmail = RpcProxy("certmail")

    @http("GET", "/admin/mail")
    @handled(ADMIN_PAGE)
    @admins_only
    def admin_mail(self, request: Request) -> Response:
        return render(
            "admin_mail.html",
            active=None,
            banner=None,
            who=request.environ.get("ozsp.user"),
            admin_active="mail",
            outbox=self.certmail.list_outbox(100),
            letters=self.certmail.letters(100),
        )

    @http("GET", "/admin/mail/<string:name>")
    @handled(ADMIN_PAGE)
    @admins_only
    def admin_letter(self, request: Request, name: str) -> Response:
        letter = self.certmail.read_outbox(name)
        if letter is None:
            return error_page(404, messages.NO_LETTER)
        return render(
            "admin_letter.html",
            active=None,
            banner=None,
            who=request.environ.get("ozsp.user"),
            admin_active="mail",
            letter=letter,
        )

    @http("GET", "/admin/application/<int:organization_id>")
    @handled(ADMIN_PAGE)
    @admins_only
    def admin_application(self, request: Request, organization_id: int) -> Response:
        user_id = request.args.get("user", type=int)
        html = self.certmail.application(organization_id, user_id)
        if html is None:
            return error_page(404, messages.NO_ORGANIZATION)
        return Response(html, mimetype="text/html", headers=PAGE_HEADERS)
