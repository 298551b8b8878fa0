"""Administrator's pages: the certificate mail (outgoing letters and the letter journal), the directory list and
the printable application of Приложение 1 linked from it. Only users with the role «admin» see them."""

import functools
from typing import Any, cast

from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug import Request, Response

from services.gateway import messages
from services.gateway.needs import AdminBase, AdminNeeds
from services.gateway.web.errors import ADMIN_PAGE, Handler, handled
from services.gateway.web.templating import PAGE_HEADERS, error_page, render


def admins_only(method: Handler) -> Handler:
    """Users with the role «admin»; anyone else gets a 403 page (no session: NotAuthenticated from identity)."""

    @functools.wraps(method)
    def wrapper(self: AdminNeeds, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.identity(request)
        user = request.environ.get("ozsp.user") or {}
        if "admin" not in (user.get("roles") or []):
            return error_page(403, messages.ADMINS_ONLY)
        return method(self, request, *args, **kwargs)

    return cast(Handler, wrapper)


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

    @http("GET", "/admin/directory")
    @handled(ADMIN_PAGE)
    @admins_only
    def admin_directory(self, request: Request) -> Response:
        """The directory's organisations and users, each with its Приложение 1 (the application to print)."""
        listing = self.journal.directory_organizations()
        users: dict[int, list[dict[str, Any]]] = {}
        for user in listing["users"]:
            users.setdefault(user["organization_id"], []).append(user)
        return render(
            "admin_directory.html",
            active=None,
            banner=None,
            who=request.environ.get("ozsp.user"),
            admin_active="directory",
            organizations=[{**org, "users": users.get(org["id"], [])} for org in listing["organizations"]],
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
