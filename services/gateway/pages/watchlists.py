"""The page of watch lists (#22): /watchlists lists the organisation's lists with pause/resume, period, e-mail,
a new file and delete; a finished group's page saves it as a list. Every change is a POST form with the CSRF
token, answered by a redirect (303) back to the page with a notice."""

from urllib.parse import quote

from nameko.web.handlers import http
from werkzeug import Request, Response
from werkzeug.utils import redirect

from services.gateway import messages
from services.gateway.needs import Identity, WatchlistPagesBase
from services.gateway.web import csrf
from services.gateway.web.errors import PAGE, ApiError, handled
from services.gateway.web.templating import error_page


def _back(notice: str, error: str | None = None) -> Response:
    tail = f"&error={quote(error)}" if error else ""
    return redirect(f"/watchlists?done={notice}{tail}", code=303)


class WatchlistPagesMixin(WatchlistPagesBase):
    """Needs: needs.WatchlistPagesNeeds."""

    def _checked(self, request: Request) -> Identity | None:
        identity = self.identity(request)
        return identity if csrf.check(request, self._settings().secret_key, identity["user_id"]) else None

    @http("GET", "/watchlists")
    @handled(PAGE)
    def watchlists_page(self, request: Request) -> Response:
        identity, conf = self.identity(request), self._settings()
        error = (request.args.get("error") or "")[:300]
        return csrf.with_token(
            request,
            conf.secret_key,
            identity["user_id"],
            lambda form: self._page(
                "watchlists.html",
                "group_journal",
                lists=self.journal.watchlist_list(identity),
                notice=None if error else messages.WATCHLIST_NOTICES.get(request.args.get("done", "")),
                error=error or None,
                **form,
            ),
        )

    @http("POST", "/watchlists")
    @handled(PAGE)
    def watchlist_create_page(self, request: Request) -> Response:
        identity = self._checked(request)
        if identity is None:
            return error_page(403, messages.CSRF_FAILED)
        group = request.form.get("group_id", "")
        if not group.isdigit():
            return error_page(404, messages.GROUP_NOT_FOUND)
        created = self.journal.watchlist_create(
            identity, int(group), request.form.get("period", ""), request.form.get("email") == "1"
        )
        return _back("created", created.get("error"))

    @http("POST", "/watchlists/<int:list_id>")
    @handled(PAGE)
    def watchlist_change_page(self, request: Request, list_id: int) -> Response:
        identity = self._checked(request)
        if identity is None:
            return error_page(403, messages.CSRF_FAILED)
        action = request.form.get("action", "")
        if action == "delete":
            if not self.journal.watchlist_delete(identity, list_id):
                return error_page(404, messages.WATCHLIST_NOT_FOUND)
            return _back("deleted")
        changes = {
            "pause": ({"paused": True}, "paused"),
            "resume": ({"paused": False}, "resumed"),
            "save": (
                {"period": request.form.get("period", ""), "email": request.form.get("email") == "1"},
                "changed",
            ),
        }.get(action)
        if changes is None:
            return error_page(400, messages.WATCHLIST_BAD_BODY)
        result = self.journal.watchlist_update(identity, list_id, changes[0])
        if result is None:
            return error_page(404, messages.WATCHLIST_NOT_FOUND)
        return _back(changes[1], result.get("error"))

    @http("POST", "/watchlists/<int:list_id>/file")
    @handled(PAGE)
    def watchlist_file_page(self, request: Request, list_id: int) -> Response:
        identity = self._checked(request)
        if identity is None:
            return error_page(403, messages.CSRF_FAILED)
        try:
            status, body = self.replace_watchlist_file(request, identity, list_id)
        except ApiError as exc:
            return error_page(exc.status, exc.message)
        if status != 200:
            first = (body.get("errors") or [{}])[0]
            where = f" (строка {first['line']})" if first.get("line") else ""
            return _back("file", f"{body['message']} {first.get('message') or ''}{where}".strip())
        return _back("file")
