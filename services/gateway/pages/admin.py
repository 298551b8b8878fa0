"""Administrator's pages: the certificate mail (outgoing letters and the letter journal) and the printable
application of Приложение 1. Only users with the role «admin» see them."""

import functools

from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug import Response

from services.gateway import messages
from services.gateway.api.parsing import NotAuthenticated, failure_status
from services.gateway.web.templating import PAGE_HEADERS, render


def admin_page(method):
    """Administrators only; a failure is a Russian error page (503 when a service is away), as on other pages."""

    @functools.wraps(method)
    def wrapper(self, request, *args, **kwargs):
        try:
            self.identity(request)
            user = request.environ.get("ozsp.user") or {}
            if "admin" not in (user.get("roles") or []):
                return render("error.html", status=403, active=None, banner=None, message=messages.ADMINS_ONLY)
            return method(self, request, *args, **kwargs)
        except NotAuthenticated:
            from werkzeug.utils import redirect

            return redirect("/login?next=" + request.path, code=303)
        except Exception as exc:
            status = failure_status(exc, f"page {method.__name__}")
            return render(
                "error.html",
                status=status,
                active=None,
                banner=None,
                message=messages.UNAVAILABLE if status == 503 else messages.INTERNAL,
            )

    return wrapper


class AdminMixin:
    """Needs from the service: identity(request) (login.py)."""

    certmail = RpcProxy("certmail")

    @http("GET", "/admin/mail")
    @admin_page
    def admin_mail(self, request):
        return render(
            "admin_mail.html",
            active=None,
            banner=None,
            outbox=self.certmail.list_outbox(100),
            letters=self.certmail.letters(100),
        )

    @http("GET", "/admin/mail/<string:name>")
    @admin_page
    def admin_letter(self, request, name):
        letter = self.certmail.read_outbox(name)
        if letter is None:
            return render("error.html", status=404, active=None, banner=None, message=messages.NO_LETTER)
        return render("admin_letter.html", active=None, banner=None, letter=letter)

    @http("GET", "/admin/application/<int:organization_id>")
    @admin_page
    def admin_application(self, request, organization_id):
        user_id = request.args.get("user", type=int)
        html = self.certmail.application(organization_id, user_id)
        if html is None:
            return render("error.html", status=404, active=None, banner=None, message=messages.NO_ORGANIZATION)
        return Response(html, mimetype="text/html", headers=PAGE_HEADERS)
