"""Request bodies: a size limit per route, checked on Content-Length before anything reads the body, and the one
JSON reader of the gateway (UTF-8, nesting without RecursionError, no lone surrogates). Plain functions, no nameko.

A body over its route's limit is answered 413 at once, a body of unknown length (chunked) 411, and the connection
is closed without reading the rest (web/server.py). The group upload routes check their 20 MB themselves.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from services.gateway import messages

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

KB = 1024
LOGIN_JSON = 4 * KB  # POST /login/challenge, /dev/sign, /logout: a few small JSON fields or nothing
SIGNATURE = 64 * KB  # POST /login: the CAdES-BES signature (base64) of the challenge, with its id
API_JSON = 1024 * KB  # POST /api/v1/requests and other JSON API calls
REPORT_FORM = 1024 * KB  # POST /group/flk-errors.csv: the signed ФЛК report of up to 1000 errors
FORM = 64 * KB  # the request form and anything else
ADMIN_FILE = 1100 * KB  # POST /admin/directory/change: a .cer or .crl upload (the directory refuses over 1 MB)
UPLOAD = None  # POST /group and /api/v1/groups: the upload handlers refuse over 20 MB themselves

LOGIN_PATHS = ("/login", "/login/challenge", "/dev/sign", "/logout")


def limit_for(method: str, path: str) -> int | None:
    """Bytes a request body may have on this route; None: the route checks its size itself."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return FORM
    if path in ("/group", "/api/v1/groups"):
        return UPLOAD
    if path.startswith(("/watchlists/", "/api/v1/watchlists/")) and path.endswith("/file"):
        return UPLOAD  # a watch list's new file (#22): the handlers refuse over 20 MB themselves
    if path == "/login":
        return SIGNATURE
    if path in LOGIN_PATHS:
        return LOGIN_JSON
    if path.startswith("/api/"):
        return API_JSON
    if path == "/group/flk-errors.csv":
        return REPORT_FORM
    if path == "/admin/directory/change" or path.startswith("/admin/quarantine/"):
        return 2 * ADMIN_FILE  # a CA certificate and its CRL
    return FORM


def declared_length(environ: WSGIEnvironment) -> int | None:
    """Content-Length as a number; None when absent; -1 when it is not a number (refused like an oversized body)."""
    raw = (environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() else -1


def refusal(environ: WSGIEnvironment) -> tuple[int, str] | None:
    """(status, message) for a body refused before it is read: 413 over the route's limit, 411 for a body of
    unknown length (chunked: werkzeug would not read it, but the server would drain it); None when it may be read."""
    limit = limit_for(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""))
    if limit is None:
        return None
    if "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower():
        return 411, messages.NO_LENGTH
    length = declared_length(environ)
    if length is None or 0 <= length <= limit:
        return None
    return 413, messages.TOO_LARGE.format(size_text(limit))


def size_text(limit: int) -> str:
    return f"{limit // (1024 * KB)} МБ" if limit >= 1024 * KB else f"{limit // KB} КБ"


def refusal_body(path: str, status: int, message: str) -> tuple[str, Any]:
    """(kind, body) of a refusal: the login page's JSON, the API's JSON, or a message for an error page."""
    if path in LOGIN_PATHS and path != "/logout":
        return "json", {"ok": False, "title": messages.LOGIN_TITLE, "message": message}
    if path.startswith("/api/") or path == "/group/notices":
        return "json", {"error": "too_big" if status == 413 else "length_required", "message": message}
    return "page", message


# ---------------- JSON ----------------

_SURROGATE = re.compile("[\ud800-\udfff]")


class BadJson(ValueError):
    """Not a JSON body this service can take: not UTF-8, not JSON, nested too deep, or a lone surrogate."""


def load_json(raw: bytes | bytearray | str) -> Any:
    """bytes -> the parsed value; BadJson otherwise (never RecursionError, nor a string the RPC or PostgreSQL
    cannot carry: json allows a lone surrogate such as \\ud800, UTF-8 does not)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else str(raw)
        value = json.loads(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadJson("not JSON") from None
    if _has_surrogate(value):
        raise BadJson("lone surrogate")
    return value


def _has_surrogate(value: Any) -> bool:
    """Any string in value (keys too) with a lone surrogate; iterative, whatever the nesting."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
