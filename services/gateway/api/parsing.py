"""JSON API helpers: plain functions that shape requests and responses (no nameko here)."""

import json

from services.gateway import messages
from shared.params import FIELDS
from shared.status import STATUSES

MAX_PAGE = 100000  # journal pages: enough for millions of requests; the offset stays a small number


class NotAuthenticated(Exception):
    """No live session: pages redirect to /login, the API answers 401."""


class ApiError(Exception):
    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def body(self):
        return {"error": self.code, "message": self.message, **self.extra}


def parse_request_fields(raw: bytes) -> dict:
    """Body of POST /api/v1/requests -> the 16 fields as strings (absent = None)."""
    from services.gateway.web.bodies import BadJson, load_json

    try:
        data = load_json(raw) if raw else None
    except BadJson:
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", messages.NOT_JSON)
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ApiError(400, "unknown_fields", messages.UNKNOWN_FIELDS.format(", ".join(unknown), ", ".join(FIELDS)))
    errors = [
        {"field": k, "message": messages.NOT_A_STRING}
        for k, v in data.items()
        if v is not None and not isinstance(v, str)
    ]
    if errors:
        raise ApiError(422, "flk", messages.FLK_FAILED, errors=errors)
    return {k: data.get(k) for k in FIELDS}


def writer(service, request):
    """service.identity() of a call that changes something through the JSON API: the X-CSRF-Token header or our
    Origin (services/gateway/csrf.py), else ApiError 403. NotAuthenticated (401) comes first."""
    from services.gateway.web import csrf

    identity = service.identity(request)
    if not csrf.api_allowed(request, service.config["SECRET_KEY"], identity["user_id"]):
        raise ApiError(403, "csrf", messages.CSRF_REFUSED)
    return identity


def require_json(request):
    """POST bodies of the JSON API are JSON: a form or text/plain body (what a page of another site can send
    without a preflight) is refused with 415."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", messages.NOT_JSON_TYPE)


def parse_list_args(args) -> tuple:
    """Query string of GET /api/v1/requests -> (filters, page, per_page)."""
    filters = {}
    for key in ("date_from", "date_to"):
        value = args.get(key)
        if value:
            filters[key] = _iso_date(key, value)
    status = args.get("status")
    if status:
        if status not in STATUSES:
            raise ApiError(400, "bad_filter", messages.BAD_FILTER.format("status"))
        filters["status"] = status
    fio = (args.get("fio") or "").strip()
    if fio:
        if len(fio.split()) > 1:
            raise ApiError(400, "combined_fio", messages.COMBINED_FIO)
        filters["fio"] = fio
    page = _positive_int("page", args.get("page", "1"), MAX_PAGE)
    per_page = min(_positive_int("per_page", args.get("per_page", "50")), 500)
    return filters, page, per_page


EARLIEST, LATEST = "1900-01-01", "2099-12-31"  # a journal period; the journal adds a day to its end


def _iso_date(key, value):
    from datetime import date

    try:
        day = date.fromisoformat(value).isoformat()
    except ValueError:
        raise ApiError(400, "bad_filter", messages.BAD_FILTER.format(key)) from None
    if not EARLIEST <= day <= LATEST:
        raise ApiError(400, "bad_filter", messages.DATE_RANGE.format(key))
    return day


def _positive_int(key, value, maximum=None):
    try:
        number = int(value)
    except (TypeError, ValueError):  # also more than 4300 digits
        number = 0
    if number < 1:
        raise ApiError(400, "bad_filter", messages.BAD_FILTER.format(key))
    if maximum is not None and number > maximum:
        raise ApiError(400, "bad_filter", messages.PAGE_RANGE.format(key, maximum))
    return number


# API answers carry personal data: never stored by a browser or proxy, never sniffed as another type.
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def json_response(status, body, headers=None):
    from werkzeug import Response

    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers={**API_HEADERS, **(headers or {})},
        mimetype="application/json",
    )


DATABASE_AWAY = ("OperationalError", "InterfaceError")  # a RemoteError's exc_type when the journal lost PostgreSQL


def unavailable(exc):
    """A service not running, or the database or the broker away: a 503 and «try later», not a 500."""
    from nameko.exceptions import RemoteError, UnknownService

    from shared import outage

    return (
        isinstance(exc, UnknownService)
        or outage.unavailable(exc)
        or (isinstance(exc, RemoteError) and exc.exc_type in DATABASE_AWAY)
    )


def failure_status(exc, what):
    """Log a failed call (called in its except block) -> its HTTP status: 503 when a service, the database or the
    broker is away (one line), else 500 (with the traceback)."""
    import logging

    log = logging.getLogger(__name__)
    if unavailable(exc):
        log.error("%s failed, a service is unavailable: %s: %s", what, type(exc).__name__, exc)
        return 503
    log.exception("%s failed", what)
    return 500


def api_call(method):
    """Map ApiError to its JSON envelope, a service, database or broker away to 503, anything else to a 500
    without details."""
    import functools

    @functools.wraps(method)
    def wrapper(self, request, *args, **kwargs):
        try:
            return method(self, request, *args, **kwargs)
        except ApiError as exc:
            return json_response(exc.status, exc.body())
        except NotAuthenticated:
            return json_response(401, {"error": "unauthenticated", "message": messages.NOT_SIGNED_IN})
        except Exception as exc:
            if failure_status(exc, "API call") == 503:
                return json_response(503, {"error": "unavailable", "message": messages.API_UNAVAILABLE})
            return json_response(500, {"error": "internal", "message": messages.API_INTERNAL})

    return wrapper
