"""Приложение 1 of the manual: the application for registration of a participant, pre-filled from the
directory as a printable HTML page (services/certmail/templates/application.html)."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def format_snils(value: str | None) -> str:
    digits = "".join(ch for ch in (value or "") if ch.isdigit())
    if len(digits) != 11:
        return digits
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"


def _name(value: str | None) -> str:
    return (value or "").strip().title()


def full_name(user: Mapping[str, Any]) -> str:
    return " ".join(
        p for p in (_name(user.get("surname")), _name(user.get("first_name")), _name(user.get("patronymic"))) if p
    )


def short_name(user: Mapping[str, Any]) -> str:
    """«Фамилия И.О.» under a signature."""
    initials = "".join(f"{p[0]}." for p in (_name(user.get("first_name")), _name(user.get("patronymic"))) if p)
    return f"{_name(user.get('surname'))} {initials}".strip()


def render_application(org: Mapping[str, Any], user: Mapping[str, Any] | None = None) -> str:
    """HTML of the application for the organisation org (dict: name, registry_code, ...) and, when given, the
    participant user (dict: surname, first_name, patronymic, position, snils, emails)."""
    user = user or {}
    participant = {
        "full_name": full_name(user),
        "short_name": short_name(user),
        "position": user.get("position") or "",
        "snils": format_snils(user.get("snils")),
        "emails": ", ".join(user.get("emails") or []),
    }
    return _env.get_template("application.html").render(
        org={"name": org.get("name") or "", "registry_code": org.get("registry_code") or ""}, participant=participant
    )
