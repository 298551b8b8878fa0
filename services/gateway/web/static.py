"""Static files of the pages: our own (services/gateway/static) and the npm packages' dist files.

URLs carry a content hash (?v=...); a request with the current hash may be cached for a year.
"""

import hashlib
import os

from werkzeug import Request, Response
from werkzeug.security import safe_join

from services.gateway import messages

GATEWAY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OWN = os.path.join(GATEWAY, "static")
NODE_MODULES = os.path.join(os.path.dirname(os.path.dirname(GATEWAY)), "node_modules")

# URL name -> path inside node_modules: only what the pages use.
VENDOR = {
    "vendor/air-datepicker.js": "air-datepicker/air-datepicker.js",
    "vendor/air-datepicker.css": "air-datepicker/air-datepicker.css",
    "vendor/crypto-pro.js": "crypto-pro/dist/crypto-pro.min.js",  # bundles CryptoPro's cadesplugin_api.js
}

CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
}
YEAR = 365 * 24 * 3600

_cache: dict[str, tuple[bytes, str]] = {}  # name -> (bytes, version); the files do not change while a process runs


def path_of(name: str) -> str | None:
    if name in VENDOR:
        return os.path.join(NODE_MODULES, VENDOR[name])
    if name.startswith("vendor/"):
        return None
    return safe_join(OWN, name)


def load(name: str) -> tuple[bytes, str] | None:
    """(content, version) or None when the file does not exist or is not served."""
    if name in _cache:
        return _cache[name]
    path = path_of(name)
    if not path or os.path.splitext(name)[1] not in CONTENT_TYPES or not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        content = f.read()
    _cache[name] = (content, hashlib.sha256(content).hexdigest()[:12])
    return _cache[name]


def url(name: str) -> str:
    found = load(name)
    return f"/static/{name}?v={found[1]}" if found else f"/static/{name}"


def available(name: str) -> bool:
    return load(name) is not None


def response(request: Request, name: str) -> Response:
    found = load(name)
    if found is None:
        return Response(messages.FILE_NOT_FOUND, status=404, mimetype="text/plain")
    content, version = found
    resp = Response(content, content_type=CONTENT_TYPES[os.path.splitext(name)[1]])
    if request.args.get("v") == version:
        resp.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        resp.headers["Cache-Control"] = "no-cache"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.set_etag(version)
    return resp.make_conditional(request)
