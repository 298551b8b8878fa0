"""Jinja2 for the pages: autoescape always on, strict about missing names, one place for page headers."""

import os
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from werkzeug import Response

from services.gateway.pages import views
from services.gateway.web import static
from shared import clock

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")

# Pages carry personal data: never cached; no inline script or style; not framed.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

NAVIGATION = (
    ("index", "/", "Главная"),
    ("individual", "/individual", "Индивидуальный запрос"),
    ("journal", "/journal", "Журнал Индивидуальных запросов"),
    ("group", "/group", "Групповой запрос"),
    ("group_journal", "/group/journal", "Журнал Групповых запросов"),
)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        static_url=static.url, static_available=static.available, navigation=NAVIGATION, moscow_today=clock.today
    )  # calendars stop at Moscow today, not the browser's
    env.filters.update(when=views.datetime_text, when_dashed=lambda v: views.datetime_text(v, "-"), day=views.date_text)
    env.filters.update(snils=lambda v: views.P.format_snils(v) or "")
    return env


ENV = _environment()


def render_text(name: str, **context: Any) -> str:
    return ENV.get_template(name).render(**context)


def render(name: str, status: int = 200, headers: Mapping[str, str] | None = None, **context: Any) -> Response:
    response = Response(render_text(name, **context), status=status, mimetype="text/html")
    response.headers.update(PAGE_HEADERS)
    response.headers.update(headers or {})
    return response


def error_page(status: int, message: str) -> Response:
    """The error page with a message; plain text when even the template fails."""
    try:
        return render("error.html", status=status, active=None, banner=None, message=message)
    except Exception:
        return Response(message, status=status, mimetype="text/plain")
