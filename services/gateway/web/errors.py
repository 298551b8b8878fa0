"""The one error handling of the gateway's handlers: `handled(kind)` turns what a handler raises into the answer its
kind of client reads (JSON of the API, JSON of the sign-in page's script, an error page), 503 «try later» when a
service, the database or the broker is away, 500 without details otherwise (details go to the masked log)."""

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from nameko.exceptions import RemoteError, UnknownService
from werkzeug import Request, Response
from werkzeug.utils import redirect

from services.gateway import messages
from services.gateway.web.responses import json_response
from services.gateway.web.templating import error_page
from shared import outage

log = logging.getLogger(__name__)

DATABASE_AWAY = ("OperationalError", "InterfaceError")  # a RemoteError's exc_type when the journal lost PostgreSQL


class NotAuthenticated(Exception):
    """No live session: pages redirect to /login, the API answers 401."""


class ApiError(Exception):
    """A refusal with its HTTP status, error code and message (and extra fields of the JSON body)."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


def unavailable(exc: BaseException) -> bool:
    """A service not running, or the database or the broker away: a 503 and «try later», not a 500."""
    return (
        isinstance(exc, UnknownService)
        or outage.unavailable(exc)
        or (isinstance(exc, RemoteError) and exc.exc_type in DATABASE_AWAY)
    )


def failure_status(exc: BaseException, what: str) -> int:
    """Log a failed call (called in its except block) -> its HTTP status: 503 when a service, the database or the
    broker is away (one line), else 500 (with the traceback)."""
    if unavailable(exc):
        log.error("%s failed, a service is unavailable: %s: %s", what, type(exc).__name__, exc)
        return 503
    log.exception("%s failed", what)
    return 500


@dataclass(frozen=True)
class Kind:
    """How one kind of handler answers: `what` names it in the log ({name}: the handler); refused (an ApiError)
    and unauthenticated (no session) may be None, then they are failures like any other."""

    what: str
    failed: Callable[[int], Response]  # status 503 or 500 -> the answer
    refused: Callable[[ApiError], Response] | None = None
    unauthenticated: Callable[[Request], Response] | None = None


def _api_failed(status: int) -> Response:
    if status == 503:
        return json_response(503, {"error": "unavailable", "message": messages.API_UNAVAILABLE})
    return json_response(500, {"error": "internal", "message": messages.API_INTERNAL})


def _page_failed(status: int) -> Response:
    return error_page(status, messages.UNAVAILABLE if status == 503 else messages.INTERNAL)


def _sign_in_failed(status: int) -> Response:
    message = messages.UNAVAILABLE if status == 503 else messages.INTERNAL
    return json_response(status, {"ok": False, "title": messages.LOGIN_TITLE, "message": message})


def _to_login(request: Request) -> Response:
    return redirect("/login?" + urlencode({"next": request.full_path.rstrip("?")}), code=303)


API = Kind(
    "API call",
    _api_failed,
    refused=lambda exc: json_response(exc.status, exc.body()),
    unauthenticated=lambda request: json_response(401, {"error": "unauthenticated", "message": messages.NOT_SIGNED_IN}),
)
PAGE = Kind(
    "page {name}", _page_failed, refused=lambda exc: error_page(exc.status, exc.message), unauthenticated=_to_login
)
ADMIN_PAGE = replace(PAGE, unauthenticated=lambda request: redirect("/login?next=" + request.path, code=303))
SIGN_IN = Kind("sign-in step {name}", _sign_in_failed)  # the login page's script reads JSON, not nameko's text 500

Handler = TypeVar("Handler", bound=Callable[..., Response])


def handled(kind: Kind) -> Callable[[Handler], Handler]:
    """Decorator of a handler method (self, request, ...): its failures answered as `kind` says."""

    def decorate(method: Handler) -> Handler:
        what = kind.what.format(name=method.__name__)

        @functools.wraps(method)
        def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            try:
                return method(self, request, *args, **kwargs)
            except Exception as exc:
                if isinstance(exc, ApiError) and kind.refused:
                    return kind.refused(exc)
                if isinstance(exc, NotAuthenticated) and kind.unauthenticated:
                    return kind.unauthenticated(request)
                return kind.failed(failure_status(exc, what))

        return cast(Handler, wrapper)

    return decorate
