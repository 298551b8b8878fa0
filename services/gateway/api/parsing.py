"""The JSON API's input: request fields, list filters, the JSON and CSRF requirements."""

from collections.abc import Mapping
from typing import Any

from werkzeug import Request

from services.gateway import messages
from services.gateway.needs import ApiNeeds, Identity
from services.gateway.web.errors import ApiError
from shared.params import FIELDS
from shared.status import STATUSES

MAX_PAGE = 100000  # journal pages: enough for millions of requests; the offset stays a small number


def parse_request_fields(raw: bytes) -> dict[str, str | None]:
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


def writer(service: ApiNeeds, request: Request) -> Identity:
    """service.identity() of a call that changes something through the JSON API: the X-CSRF-Token header or our
    Origin (web/csrf.py), else ApiError 403. NotAuthenticated (401) comes first."""
    from services.gateway.web import csrf

    identity = service.identity(request)
    if not csrf.api_allowed(request, service.config["SECRET_KEY"], identity["user_id"]):
        raise ApiError(403, "csrf", messages.CSRF_REFUSED)
    return identity


def require_json(request: Request) -> None:
    """POST bodies of the JSON API are JSON: a form or text/plain body (what a page of another site can send
    without a preflight) is refused with 415."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", messages.NOT_JSON_TYPE)


def parse_list_args(args: Mapping[str, str]) -> tuple[dict[str, Any], int, int]:
    """Query string of GET /api/v1/requests -> (filters, page, per_page)."""
    filters: dict[str, Any] = {}
    for key in ("date_from", "date_to"):
        value = args.get(key)
        if value:
            filters[key] = iso_date(key, value)
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
    changed = args.get("changed")
    if changed:  # «изменилось с прошлой проверки» (#22)
        if changed not in ("1", "true"):
            raise ApiError(400, "bad_filter", messages.BAD_FILTER.format("changed"))
        filters["changed"] = True
    page = positive_int("page", args.get("page", "1"), MAX_PAGE)
    per_page = min(positive_int("per_page", args.get("per_page", "50")), 500)
    return filters, page, per_page


EARLIEST, LATEST = "1900-01-01", "2099-12-31"  # a journal period; the journal adds a day to its end


def iso_date(key: str, value: str) -> str:
    from datetime import date

    try:
        day = date.fromisoformat(value).isoformat()
    except ValueError:
        raise ApiError(400, "bad_filter", messages.BAD_FILTER.format(key)) from None
    if not EARLIEST <= day <= LATEST:
        raise ApiError(400, "bad_filter", messages.DATE_RANGE.format(key))
    return day


def positive_int(key: str, value: str, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):  # also more than 4300 digits
        number = 0
    if number < 1:
        raise ApiError(400, "bad_filter", messages.BAD_FILTER.format(key))
    if maximum is not None and number > maximum:
        raise ApiError(400, "bad_filter", messages.PAGE_RANGE.format(key, maximum))
    return number
