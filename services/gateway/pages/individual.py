"""Web pages (manual §3.2, §4, §6) as nameko HTTP entrypoints, mixed into GatewayService.

Handlers stay thin: RPC calls here, what to show in views.py, markup in templates/.
"""

from collections.abc import Callable, Mapping
from typing import Any

from nameko.events import BROADCAST, event_handler
from nameko.web.handlers import http
from werkzeug import Request, Response
from werkzeug.utils import redirect

from services.gateway import messages, settings
from services.gateway.auth.login import SESSION_COOKIE
from services.gateway.needs import Identity, PagesBase, Record
from services.gateway.pages import captcha, ferzl_state, views, waiting
from services.gateway.web import csrf, static
from services.gateway.web.errors import API, PAGE, ApiError, NotAuthenticated, handled
from services.gateway.web.responses import json_response
from services.gateway.web.templating import error_page, render, render_text
from shared import clock
from shared.masking import address_tag
from shared.messages import REQUESTS_FINISHED
from shared.status import SENT

CAPTCHA_REFRESH_PER_MINUTE = 30

_state_cache = ferzl_state.StateCache()
_board = waiting.Board()  # this process's pages waiting for answers


class PagesMixin(PagesBase):
    """The main page, individual requests and their journal, and the page helpers the group pages share.
    Needs: needs.PagesNeeds."""

    # ---------------- helpers ----------------

    def _settings(self) -> settings.PageSettings:
        return settings.load(self.config)

    def _banner(self) -> dict[str, Any] | None:
        return ferzl_state.banner(_state_cache.get(lambda: ferzl_state.ask(self.bridge)))

    def _page(
        self, name: str, active: str, status: int = 200, headers: Mapping[str, str] | None = None, **context: Any
    ) -> Response:
        who = getattr(self, "_header_user", None)  # set by identity(): who is signed in, for the header
        return render(name, status=status, headers=headers, active=active, banner=self._banner(), who=who, **context)

    def _new_captcha(self, conf: settings.PageSettings) -> dict[str, Any]:
        answer = captcha.new_answer()
        image = captcha.data_uri(captcha.render_png(answer))
        captcha_id = self.journal.captcha_issue(captcha.answer_hash(conf.secret_key, answer), conf.captcha_ttl)
        return {"id": captcha_id, "image": image, "answer": answer if conf.captcha_test_mode else None}

    def _summary(self, identity: Identity) -> list[Record]:
        page = self.journal.list_requests(identity, {"mine": True}, 1, views.SUMMARY_SIZE)
        return views.request_rows(page["items"])

    def _captcha_form(
        self, request: Request, identity: Identity, template: str, active: str, status: int, **context: Any
    ) -> Response:
        """A form page with a fresh CAPTCHA and the user's CSRF token (its cookie set when it is new)."""
        conf = self._settings()
        challenge = self._new_captcha(conf)
        headers = {"X-Captcha-Answer": challenge["answer"]} if challenge["answer"] else None
        return csrf.with_token(
            request,
            conf.secret_key,
            identity["user_id"],
            lambda form: self._page(
                template, active, status=status, headers=headers, captcha=challenge, **form, **context
            ),
        )

    def _form_page(
        self,
        request: Request,
        values: Mapping[str, str],
        errors: Mapping[str, str] | None = None,
        notice: str | None = None,
        status: int = 200,
        sent_id: int | None = None,
    ) -> Response:
        identity = self.identity(request)
        rows = self._summary(identity)
        return self._captcha_form(
            request,
            identity,
            "individual.html",
            "individual",
            status,
            values=values,
            errors=errors or {},
            notice=notice,
            sent_id=sent_id,
            groups=views.FORM_GROUPS,
            identity_legends=views.IDENTITY_LEGENDS,
            name_field=views.NAME_FIELD,
            rows=rows,
            pending=views.any_pending(rows),
            wait_ids=views.pending_ids(rows),
        )

    # ---------------- pages ----------------

    @http("GET", "/")
    @handled(PAGE)
    def index_page(self, request: Request) -> Response:
        self.identity(request)  # signed-in users only: anyone else goes to the login page
        return self._page("index.html", "index")

    @http("GET", "/individual")
    @handled(PAGE)
    def individual_form(self, request: Request) -> Response:
        identity = self.identity(request)
        values = views.blank_form(clock.today())
        source = request.args.get("from", "")
        if source.isdigit():  # «Редактировать»: the form with the parameters of an earlier request
            card = self.journal.get_request(identity, int(source))
            if card is None:
                return error_page(404, messages.NOT_FOUND)
            values = views.values_from_params(card["params"])
        sent = request.args.get("sent", "")
        return self._form_page(
            request,
            values,
            notice=messages.SENT_NOTICE if sent.isdigit() else None,
            sent_id=int(sent) if sent.isdigit() else None,
        )

    @http("POST", "/individual")
    @handled(PAGE)
    def individual_submit(self, request: Request) -> Response:
        identity, conf = self.identity(request), self._settings()
        values = views.posted_values(request.form)
        if not csrf.check(request, conf.secret_key, identity["user_id"]):
            return self._form_page(request, values, notice=messages.CSRF_FAILED, status=403)
        if self.journal.count_recent_requests(identity, 60) >= conf.submit_limit:
            return self._form_page(
                request, values, notice=messages.SUBMIT_TOO_MANY.format(limit=conf.submit_limit), status=429
            )
        checked = self.flk.check_request(values)
        errors = views.field_errors(checked["errors"])
        answer = request.form.get("captcha", "")
        passed = self.journal.captcha_check(
            request.form.get("captcha_id", ""), captcha.answer_hash(conf.secret_key, answer)
        )
        if not passed:
            errors["captcha"] = messages.CAPTCHA_WRONG if captcha.normalize(answer) else messages.CAPTCHA_REQUIRED
        if errors:
            notice = messages.FLK_NOTICE if not checked["ok"] else None
            return self._form_page(request, values, errors=errors, notice=notice, status=422)
        created = self.journal.create_request(identity, checked["normalized"])
        return redirect(f"/individual?sent={created['id']}", code=303)

    @http("GET", "/individual/captcha")
    @handled(API)
    def individual_captcha(self, request: Request) -> Response:
        """«Обновить»: a new CAPTCHA as JSON, for the form's script. Signed-in users only: an anonymous hit makes
        no picture and no database row, and each address (or user) gets CAPTCHA_REFRESH_PER_MINUTE a minute."""
        try:
            key: tuple[str, int | str] = ("user", self.identity(request)["user_id"])
        except NotAuthenticated:
            key = ("address", self.client_address(request))
        who = key[1] if key[0] == "user" else address_tag(str(key[1]), self.config["SECRET_KEY"])
        if not self.journal.rate_hit(f"captcha_refresh:{key[0]}:{who}", CAPTCHA_REFRESH_PER_MINUTE, 60):
            raise ApiError(429, "too_many", messages.CAPTCHA_TOO_OFTEN)
        if key[0] == "address":
            raise NotAuthenticated()
        challenge = self._new_captcha(self._settings())
        headers = {"X-Captcha-Answer": challenge["answer"]} if challenge["answer"] else None
        return json_response(200, {"id": challenge["id"], "image": challenge["image"]}, headers=headers)

    @http("GET", "/individual/summary")
    @handled(PAGE)
    def individual_summary(self, request: Request) -> Response:
        rows = self._summary(self.identity(request))
        return render("_summary.html", rows=rows, pending=views.any_pending(rows), wait_ids=views.pending_ids(rows))

    @http("GET", "/individual/wait")
    @handled(API)
    def individual_wait(self, request: Request) -> Response:
        """The page's wait for answers: {"finished": [ids]} as soon as one of the user's requests named in `ids`
        has its answer stored (the journal's requests_finished event), [] after waiting.WAIT_SECONDS; with
        "again": "poll" when this process holds too many waits (the page then refreshes on its timer).
        With part=card (one id) or part=summary the answer carries the region's fresh HTML too ("html"), so the
        page shows the answer without asking again."""
        token = request.cookies.get(SESSION_COOKIE)
        ids = waiting.parse_ids(request.args.get("ids", ""))
        part = request.args.get("part") or None
        if not token or ids is None or part not in waiting.PARTS or (part == "card" and len(ids) != 1):
            self.identity(request)  # 401 first
            raise ApiError(400, "bad_ids", messages.WAIT_BAD_IDS)
        key = _board.enter(ids)  # before reading the statuses: an answer stored meanwhile still wakes it
        if key is None:
            self.identity(request)
            return json_response(200, {"finished": [], "again": "poll"})
        try:  # the session checked and the cards read in one call (one RPC fewer while the answer is on its way)
            seen = self.journal.get_requests_in_session(
                token, self.config["SESSION_IDLE_MINUTES"], self.config["SESSION_ABSOLUTE_HOURS"], ids
            )
            identity = self.accept_session(request, seen and seen["session"])
            cards = seen["cards"]
            if not cards:
                raise ApiError(404, "not_found", messages.NOT_FOUND)
            done = [c["id"] for c in cards if c["status"] != SENT]
            if not done:
                _board.narrow(key, (c["id"] for c in cards))
                done = _board.wait(key, waiting.WAIT_SECONDS)
                cards = self.journal.get_requests(identity, done) if done and part == "card" else cards
        finally:
            _board.leave(key)
        if not done or part is None:
            return json_response(200, {"finished": done})
        if part == "card":
            return self._card_part(request, identity, cards[0], lambda html: {"finished": done, "html": html})
        rows = self._summary(identity)
        html = render_text(
            "_summary.html", rows=rows, pending=views.any_pending(rows), wait_ids=views.pending_ids(rows)
        )
        return json_response(200, {"finished": done, "html": html})

    @event_handler("journal", REQUESTS_FINISHED, handler_type=BROADCAST, reliable_delivery=False)
    def requests_finished(self, payload: dict[str, Any]) -> None:
        """The journal stored answers: wake this process's pages waiting for them."""
        _board.finished(int(i) for i in payload.get("ids", []) if isinstance(i, int))

    @http("GET", "/individual/<int:request_id>")
    @handled(PAGE)
    def individual_card(self, request: Request, request_id: int) -> Response:
        identity, conf = self.identity(request), self._settings()
        card = self.journal.get_request(identity, request_id)
        if card is None:
            return error_page(404, messages.NOT_FOUND)
        if request.args.get("part") == "card":  # the live refresh of a card still waiting for ФЕРЗЛ
            return self._card_part(request, identity, card)
        expanded = request.args.get("attachments") == "all"
        return csrf.with_token(
            request,
            conf.secret_key,
            identity["user_id"],
            lambda form: self._page("card.html", "card", card=views.card_view(card), expanded=expanded, **form),
        )

    def _card_part(
        self, request: Request, identity: Identity, card: Record, wrap: Callable[[str], Any] | None = None
    ) -> Response:
        """The card's region (_card.html) as HTML, or wrapped into a JSON body by `wrap`; the CSRF cookie set
        when its token is new."""
        expanded = request.args.get("attachments") == "all"

        def build(form: dict[str, Any]) -> Response:
            context = {"card": views.card_view(card), "expanded": expanded, **form}
            if wrap is None:
                return render("_card.html", **context)
            return json_response(200, wrap(render_text("_card.html", **context)))

        return csrf.with_token(request, self._settings().secret_key, identity["user_id"], build)

    @http("POST", "/individual/<int:request_id>/refresh")
    @handled(PAGE)
    def individual_refresh(self, request: Request, request_id: int) -> Response:
        """«Обновить из ФЕРЗЛ»: the same parameters as a new request that always asks ФЕРЗЛ (no reuse)."""
        identity, conf = self.identity(request), self._settings()
        if not csrf.check(request, conf.secret_key, identity["user_id"]):
            return error_page(403, messages.CSRF_FAILED)
        card = self.journal.get_request(identity, request_id)
        if card is None:
            return error_page(404, messages.NOT_FOUND)
        created = self.journal.create_request(identity, card["params"], 0)
        return redirect(f"/individual/{created['id']}", code=303)

    @http("GET", "/journal")
    @handled(PAGE)
    def journal_page(self, request: Request) -> Response:
        query = views.journal_query(request.args)
        result = None
        if not query["errors"]:
            result = self.journal.list_requests(
                self.identity(request), query["filters"], query["page"], views.JOURNAL_PAGE_SIZE
            )
        rows, paging = views.journal_listing(result)
        return self._page(
            "journal.html",
            "journal",
            query=query,
            rows=rows,
            paging=paging,
            statuses=views.STATUS_CHOICES,
            quick=views.quick_ranges(clock.today()),
        )

    @http("GET", "/static/<path:name>")
    def static_file(self, request: Request, name: str) -> Response:
        return static.response(request, name)
