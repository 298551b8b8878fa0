"""Login by a qualified e-signature certificate (manual §3): challenge, signature, directory, session.
Mixed into GatewayService; the decision itself is auth/signin.py."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from ipaddress import ip_address
from typing import TYPE_CHECKING, Any

from eventlet import tpool
from nameko.web.handlers import http
from werkzeug import Request, Response
from werkzeug.utils import redirect

from services.gateway import messages
from services.gateway.auth import signin
from services.gateway.auth.redirects import safe_next
from services.gateway.needs import Identity, LoginBase, Record
from services.gateway.web import bodies, csrf, throttle
from services.gateway.web.errors import SIGN_IN, NotAuthenticated, handled
from services.gateway.web.responses import json_response
from services.gateway.web.started import Started
from services.gateway.web.templating import error_page, render
from shared import metrics
from shared.config import flag
from shared.gost import TrustStore
from shared.masking import address_tag

if TYPE_CHECKING:
    from shared.gost.testpki import DevPki

log = logging.getLogger(__name__)

SESSION_COOKIE = "ozsp_session"
ANONYMOUS = 0
TRUST_TTL = 60.0
TRUST_REASONS = ("unknown_ca", "crl_missing", "crl_stale", "revoked")
CRL_REASONS = ("crl_missing", "crl_stale")
# The CryptoPro browser extension (Chromium/Chrome store and Yandex/Opera store ids) injects its script.
PLUGIN_ORIGINS = (
    "chrome-extension://iifchhfnnmpdbibifmljnfjhpififfog chrome-extension://epebfcehmdedogndhlcacafjaacknbcm"
)
# 'unsafe-eval' on this page only: npm crypto-pro writes its plug-in calls as source text (_generateCadesFn: eval,
# new Function); without it getUserCertificates() fails and no certificate is ever offered.
LOGIN_CSP = (
    "default-src 'self'; img-src 'self' data:; script-src 'self' 'unsafe-eval' " + PLUGIN_ORIGINS + "; "
    "style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class _TrustCache:
    """The CAs and CRLs of the directory as a shared.gost TrustStore: rebuilt when older than a minute, or on
    demand when the directory's material has changed (a CA or CRL added a moment ago)."""

    def __init__(self) -> None:
        self.store: TrustStore | None = None
        self.digest: str | None = None
        self.loaded_at, self.lock = 0.0, threading.Lock()

    def get(self, load: Callable[[], Record], production: bool, fresh: bool = False) -> TrustStore:
        with self.lock:
            if fresh or self.store is None or time.monotonic() - self.loaded_at > TRUST_TTL:
                material = load()
                digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
                if digest != self.digest:
                    self.store, self.digest = _build_store(material, production), digest
                self.loaded_at = time.monotonic()
            assert self.store is not None
            return self.store


def _build_store(material: Record, production: bool) -> TrustStore:
    from shared.gost import load_certificate, load_crl
    from shared.gost.testpki import is_test_ca

    cas = [load_certificate(base64.b64decode(der)) for der in material["cas"]]
    if production:
        test = [ca for ca in cas if is_test_ca(ca)]
        if test:
            log.critical("test CA in the directory ignored in production mode: %s", [c.thumbprint for c in test])
        cas = [ca for ca in cas if ca not in test]
    return TrustStore(cas, [load_crl(base64.b64decode(der)) for der in material["crls"]])


_trust = _TrustCache()


def _refused(status: int, message: str, headers: Mapping[str, str] | None = None, **extra: Any) -> Response:
    """The login page's refusal box (Рисунок 4): its title and message."""
    return json_response(status, {"ok": False, "title": messages.LOGIN_TITLE, **extra, "message": message}, headers)


def _https(request: Request) -> bool:
    """HTTPS to the browser: directly, or at a TLS proxy in front (X-Forwarded-Proto). Trusting the header decides
    only whether the login page warns; the cookie stays Secure either way."""
    return request.scheme == "https" or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def _is_loopback(host: str) -> bool:
    try:
        return ip_address(host.split(":")[0].strip("[]")).is_loopback
    except ValueError:
        return host.split(":")[0] == "localhost"


class LoginMixin(LoginBase):
    """Who acts, and the sign-in steps. Needs: needs.LoginNeeds."""

    # ---------------- identity ----------------

    def identity(self, request: Request) -> Identity:
        """The acting user and organisation, from the session cookie; NotAuthenticated without one.
        The single place that decides who acts."""
        cached = request.environ.get("ozsp.identity")
        if cached:
            return cached
        pending = request.environ.pop("ozsp.identity_asked", None)
        found = pending.result() if pending is not None else self._ask_identity(request, self.journal.session_identity)
        return self.accept_session(request, found)

    def accept_session(self, request: Request, found: Record | None) -> Identity:
        """What the journal said of the request's session (session_identity, or a call that checked it on its way:
        journal.get_requests_in_session) -> the identity; NotAuthenticated when the session is not live."""
        if not found:
            raise NotAuthenticated()
        identity = {"user_id": found["user_id"], "organization_id": found["organization_id"]}
        request.environ["ozsp.identity"] = identity
        request.environ["ozsp.user"] = found
        self._header_user = found  # the page header's «who is signed in» (a worker serves one request)
        return identity

    def ask_identity_early(self, request: Request) -> None:
        """Ask the journal who acts now, without waiting: identity() takes the answer, so the question overlaps
        what the handler does meanwhile (the JSON API's ФЛК call)."""
        if "ozsp.identity" not in request.environ and request.cookies.get(SESSION_COOKIE):
            request.environ["ozsp.identity_asked"] = self._ask_identity(
                request, lambda *args: Started(self.journal.session_identity.call_async, *args)
            )

    def _ask_identity(self, request: Request, call: Callable[..., Any]) -> Any:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        return call(token, self.config["SESSION_IDLE_MINUTES"], self.config["SESSION_ABSOLUTE_HOURS"])

    def current_user(self, request: Request) -> Record | None:
        """Display data of the signed-in user (for the page header), or None."""
        try:
            self.identity(request)
        except NotAuthenticated:
            return None
        return request.environ.get("ozsp.user")

    # ---------------- pages and calls ----------------

    def _dev_login(self) -> bool:
        return flag(self.config.get("DEV_LOGIN")) and self.config.get("OZSP_MODE") == "dev"

    @http("GET", "/login")
    def login_page(self, request: Request) -> Response:
        return csrf.with_token(
            request,
            self.config["SECRET_KEY"],
            ANONYMOUS,
            lambda form: render(
                "login.html",
                headers={"Content-Security-Policy": LOGIN_CSP},
                active=None,
                banner=None,
                user=None,
                dev_login=self._dev_login(),
                next_url=safe_next(request.args.get("next")),
                https_only=messages.HTTPS_ONLY if self._cookie_lost(request) else None,
                **form,
            ),
        )

    @http("POST", "/login/challenge")
    @handled(SIGN_IN)
    def login_challenge(self, request: Request) -> Response:
        if not self._csrf_ok(request):
            return _refused(403, messages.BAD_LOGIN_REQUEST)
        if self._cookie_lost(request):
            return _refused(403, messages.HTTPS_ONLY)
        limit = int(self.config["LOGIN_ATTEMPTS_PER_MINUTE"])
        allowed = self.journal.rate_hit(f"login_challenge:{self._client(request)}", limit, 60)  # all gateways
        if not allowed or self._too_many(request, None):
            return _refused(429, messages.LOGIN_TOO_MANY)
        issued = self.journal.issue_challenge(120, int(self.config.get("LOGIN_CHALLENGES_MAX") or 1000))
        if issued is None:  # the global cap of live challenges: many addresses at once
            log.warning("login challenge refused: LOGIN_CHALLENGES_MAX unanswered challenges are alive")
            return _refused(503, messages.TOO_MANY_CHALLENGES, {"Retry-After": "60"})
        return json_response(200, issued)

    @http("POST", "/login")
    @handled(SIGN_IN)
    def login_submit(self, request: Request) -> Response:
        body = _json_body(request)
        if (
            not self._csrf_ok(request)
            or not isinstance(body.get("signature"), str)
            or not isinstance(body.get("challenge_id"), str)
            or not body["challenge_id"]
        ):
            return _refused(400, messages.BAD_LOGIN_REQUEST)
        if self._cookie_lost(request):
            return _refused(403, messages.HTTPS_ONLY)
        result = self._authenticate(request, body["challenge_id"], body["signature"])
        self._audit_login(request, result)
        metrics.LOGINS.labels(outcome="ok" if result.ok else result.reason).inc()
        if not result.ok:
            return _refused(403, result.message, serial=result.serial)
        token = self.journal.start_session(
            result.identity["user_id"], result.identity["organization_id"], result.certificate_id
        )
        response = json_response(200, {"ok": True, "redirect": safe_next(body.get("next"))})
        self._set_session_cookie(response, request, token)
        # a CSRF token of the signed-in user: the X-CSRF-Token header of API calls repeats this cookie
        csrf.set_cookie(response, request, csrf.new_token(self.config["SECRET_KEY"], result.identity["user_id"]))
        return response

    @http("POST", "/logout")
    def logout(self, request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            try:
                user_id = self.identity(request)["user_id"]
            except NotAuthenticated:
                user_id = None
            if user_id is not None and not csrf.api_allowed(request, self.config["SECRET_KEY"], user_id):
                return error_page(403, messages.LOGOUT_REFUSED)
            self.journal.end_session(token)
        response = redirect("/login", code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @http("POST", "/dev/sign")
    def dev_sign(self, request: Request) -> Response:
        """Dev-only stand-in for the browser plug-in: signs the challenge with the dev test certificate."""
        if not self._dev_login():
            return json_response(404, {"message": "Not found"})
        challenge = _json_body(request).get("challenge")
        if not isinstance(challenge, str) or not challenge.isascii():
            return json_response(400, {"message": messages.BAD_LOGIN_REQUEST})
        return json_response(200, {"signature": base64.b64encode(_dev_pki().sign(challenge.encode())).decode()})

    # ---------------- helpers ----------------

    def _csrf_ok(self, request: Request) -> bool:
        header = request.headers.get("X-CSRF-Token")
        cookie = request.cookies.get(csrf.COOKIE)
        return bool(
            header
            and cookie
            and header == cookie
            and csrf.valid(self.config["SECRET_KEY"], ANONYMOUS, header)
            and csrf.same_origin(request)
        )

    def client_address(self, request: Request) -> str:
        """The client's address (behind TRUSTED_PROXIES: from X-Forwarded-For), per /64 for IPv6."""
        trusted = {p.strip() for p in str(self.config.get("TRUSTED_PROXIES") or "").split(",") if p.strip()}
        return throttle.client_key(
            throttle.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"), trusted)
        )

    def _client(self, request: Request) -> str:
        """The client address as a keyed hash: what the audit and the login limits keep, never the address."""
        return address_tag(self.client_address(request), self.config["SECRET_KEY"])

    def _too_many(self, request: Request, serial: str | None) -> bool:
        limit = int(self.config["LOGIN_ATTEMPTS_PER_MINUTE"])
        return self.journal.count_login_attempts(self._client(request), serial, 60) >= limit

    def _authenticate(self, request: Request, challenge_id: str, signature: str) -> signin.LoginResult:
        serial = signin.serial_of(signature)  # bounded: shared.gost refuses oversized parts before parsing them
        if self._too_many(request, serial):
            return signin.refuse("rate_limited", messages.LOGIN_TOO_MANY, serial)
        challenge = self.journal.consume_challenge(challenge_id)
        if challenge is None:
            return signin.refuse("challenge_gone", messages.CHALLENGE_GONE, serial)
        production = self.config.get("OZSP_MODE") == "production"
        grace = timedelta(hours=int(self.config["CRL_GRACE_HOURS"]))
        result = self._verify(signature, challenge, _trust.get(self.journal.trust_material, production), grace)
        if result.reason in TRUST_REASONS:  # a CA or CRL added a moment ago: look again with fresh material
            fresh = _trust.get(self.journal.trust_material, production, fresh=True)
            result = self._verify(signature, challenge, fresh, grace)
        if result.reason in CRL_REASONS and self._fetch_crl(signature) == "stored":  # the CA's CRL ran out: ask for it
            fresh = _trust.get(self.journal.trust_material, production, fresh=True)
            result = self._verify(signature, challenge, fresh, grace)
        return result

    def _verify(self, signature: str, challenge: str, store: TrustStore, grace: timedelta) -> signin.LoginResult:
        """The signature checked in a thread of its own (the event loop keeps serving), then the directory."""
        checked = tpool.execute(signin.check_signature, signature, challenge, store, None, grace)
        if isinstance(checked, signin.LoginResult):
            return checked
        return signin.decided(self.journal.certificate_owner(checked.issuer, checked.serial_hex), checked.serial_hex)

    def _fetch_crl(self, signature: str) -> str | None:
        """Have the journal download the CRL from the signer certificate's distribution points (once a minute per
        CA at most); the certificate's signature was verified before its CRL was looked for."""
        cert = signin.signer_certificate(signature)
        if cert is None or not cert.crl_urls:
            return None
        try:
            return self.journal.crl_fetch_for(base64.b64encode(cert.der).decode())
        except Exception as exc:
            log.warning("on-demand CRL download failed (%s)", type(exc).__name__)
            return None

    def _audit_login(self, request: Request, result: signin.LoginResult) -> None:
        user, org = (
            (result.identity.get("user_id"), result.identity.get("organization_id")) if result.ok else (None, None)
        )
        self.journal.audit(
            "login.ok" if result.ok else "login.refused",
            result.serial,
            {"reason": result.reason, "address": self._client(request), "verified": result.verified},
            user,
            org,
        )
        if not result.ok:
            log.warning("login refused: %s", result.reason)

    def _cookie_secure(self, request: Request) -> bool:
        mode = str(self.config.get("SESSION_COOKIE_SECURE", "auto")).lower()
        return _https(request) or (mode == "auto" and not _is_loopback(request.host)) or flag(mode)

    def _cookie_lost(self, request: Request) -> bool:
        """The session cookie would be Secure but the page came over plain http: the browser would drop it."""
        return self._cookie_secure(request) and not _https(request)

    def _set_session_cookie(self, response: Response, request: Request, token: str) -> None:
        secure = self._cookie_secure(request)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            path="/",
            httponly=True,
            secure=secure,
            samesite="Lax",
            max_age=int(self.config["SESSION_ABSOLUTE_HOURS"]) * 3600,
        )


_dev = None


def _dev_pki() -> DevPki:
    global _dev
    if _dev is None:
        from shared.gost.testpki import DevPki

        _dev = DevPki()
    return _dev


def _json_body(request: Request) -> Record:
    """The JSON object of a login call; {} for anything else (the caller answers «Запрос на вход повреждён»)."""
    try:
        data = bodies.load_json(request.get_data() or b"{}")
    except bodies.BadJson:
        return {}
    return data if isinstance(data, dict) else {}
