"""CSRF protection: a signed double-submit token.

The token is `nonce.signature`, the signature an HMAC-SHA256 over the acting user and the nonce with
SECRET_KEY; the nonce begins with that user's id (`7~…`), so the JSON API can tell whom a header token was signed
for before it asks who the session is (writer_of: the session is then checked by the journal in the same call that
creates the request). It is set as a cookie and repeated in every form; a POST passes when both copies agree and the
signature is valid for the user who acts (a forged cookie or another user's token fails).

The JSON API and /logout take the token in the X-CSRF-Token header (a page of another origin, even on another port
of the same host, cannot send that header without a CORS preflight this service never grants) or a browser's
same-origin Origin header. SameSite cookies do not help there: another port of the same host is the same site.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from werkzeug import Request, Response

COOKIE = "ozsp_csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def _sign(secret: str, user_id: int, nonce: str) -> str:
    mac = hmac.new(secret.encode(), f"csrf|{user_id}|{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _same(a: str, b: str) -> bool:
    """compare_digest over the UTF-8 bytes: on str it raises TypeError for any non-ASCII character (a hostile
    header or form field would end in a 500)."""
    return hmac.compare_digest(a.encode(), b.encode())


def new_token(secret: str, user_id: int) -> str:
    nonce = f"{int(user_id)}~{secrets.token_urlsafe(18)}"
    return f"{nonce}.{_sign(secret, user_id, nonce)}"


def valid(secret: str, user_id: int, token: str | None) -> bool:
    nonce, _, signature = (token or "").partition(".")
    return bool(nonce and signature) and _same(signature, _sign(secret, user_id, nonce))


def token_for(request: Request, secret: str, user_id: int) -> tuple[str, bool]:
    """(token, is_new): the cookie's token when it is valid for this user, else a fresh one."""
    current = request.cookies.get(COOKIE)
    if current and valid(secret, user_id, current):
        return current, False
    return new_token(secret, user_id), True


def same_origin(request: Request) -> bool:
    """A browser's Origin (or Referer) header, when sent, must name this host."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return source is None
    return urlsplit(source).netloc == request.host


def origin_is_ours(request: Request) -> bool:
    """A browser's Origin header present and naming this host (and port)."""
    origin = request.headers.get("Origin")
    return bool(origin) and origin != "null" and urlsplit(origin).netloc == request.host


def header_ok(request: Request, secret: str, user_id: int) -> bool:
    """The X-CSRF-Token header equals the ozsp_csrf cookie and is signed for this user."""
    header, cookie = request.headers.get(HEADER), request.cookies.get(COOKIE)
    if not header or not cookie:
        return False
    return _same(header, cookie) and valid(secret, user_id, header)


def api_allowed(request: Request, secret: str, user_id: int) -> bool:
    """A state-changing API call or /logout: the header token, or (a browser page of this site) our Origin.
    A foreign Origin is refused even with a token."""
    return same_origin(request) and (header_ok(request, secret, user_id) or origin_is_ours(request))


def writer_of(request: Request, secret: str) -> int | None:
    """The user an API call's X-CSRF-Token was validly signed for, when the call passes api_allowed for that user
    by its header (equal to the cookie, from this site); None otherwise -- no header, an older token without the
    user's id, a forged one: the caller then asks the session first and checks api_allowed as always."""
    header, cookie = request.headers.get(HEADER), request.cookies.get(COOKIE)
    if not header or not cookie or not _same(header, cookie) or not same_origin(request):
        return None
    named, mark, _ = header.partition("~")
    if not mark or not (named.isascii() and named.isdigit()) or len(named) > 18:
        return None
    return int(named) if valid(secret, int(named), header) else None


def fetch_ok(request: Request) -> bool:
    """A GET that changes something (a notice taken once): not sent by a page of another origin (Fetch metadata:
    Sec-Fetch-Site, or a foreign Origin)."""
    site = request.headers.get("Sec-Fetch-Site")
    return site in (None, "same-origin", "none") and same_origin(request)


def check(request: Request, secret: str, user_id: int) -> bool:
    """A form post: its token field equals the cookie, is signed for this user, and comes from this site."""
    cookie, field = request.cookies.get(COOKIE), request.form.get(FIELD)
    if not cookie or not field:
        return False
    return _same(cookie, field) and valid(secret, user_id, cookie) and same_origin(request)


def with_token(request: Request, secret: str, user_id: int, build: Callable[[dict[str, Any]], Response]) -> Response:
    """build({"csrf_token", "csrf_field"}) -> a page whose forms carry the user's token (token_for); the cookie is
    set on it when the token is new. Every page with a form is made through here."""
    token, is_new = token_for(request, secret, user_id)
    response = build({"csrf_token": token, "csrf_field": FIELD})
    if is_new:
        set_cookie(response, request, token)
    return response


def set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE, token, max_age=12 * 3600, path="/", httponly=True, samesite="Strict", secure=request.scheme == "https"
    )
