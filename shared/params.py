"""Request parameters: the 16 fields, their Russian labels, and the «Параметры» text of journals."""

from collections.abc import Mapping
from datetime import date
from typing import Any

FIELDS = (
    "name",
    "oip",
    "enp",
    "dpfs_type",
    "dpfs_series",
    "dpfs_number",
    "vs_number",
    "dul_type",
    "dul_series",
    "dul_number",
    "snils",
    "surname",
    "first_name",
    "patronymic",
    "birth_date",
    "as_of",
)

# The group file's header (manual §5.1), column by column, in FIELDS order.
COLUMNS = (
    "Имя запроса",
    "ОИП",
    "ЕНП",
    "Тип ДПФС",
    "Серия полиса",
    "Номер полиса",
    "Номер временного свидетельства",
    "Тип ДУЛ",
    "Серия ДУЛ",
    "Номер ДУЛ",
    "СНИЛС",
    "Фамилия",
    "Имя",
    "Отчество",
    "Дата рождения",
    "Дата [по состоянию на...]",
)

# Labels as the manual writes them in journals (Рисунок 16).
LABELS = {
    "oip": "ОИП",
    "enp": "ЕНП",
    "dpfs_type": "Тип ДПФС",
    "dpfs_series": "Серия",
    "dpfs_number": "Номер",
    "vs_number": "Номер ВС",
    "dul_type": "Тип ДУЛ",
    "dul_series": "Серия ДУЛ",
    "dul_number": "Номер ДУЛ",
    "snils": "СНИЛС",
    "as_of": "По состоянию на дату",
    "surname": "Фамилия",
    "first_name": "Имя",
    "patronymic": "Отчество",
    "birth_date": "Дата Рождения",
}
# The order of the description in journals: identifiers, the as-of date, then the person.
_ORDER = (*FIELDS[1:11], "as_of", *FIELDS[11:15])


def format_snils(digits: str | None) -> str | None:
    """'11223344595' -> '112-233-445 95' (the manual's and ФЕРЗЛ's form); anything else as it is."""
    if digits and len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"
    return digits


def format_date(iso: str | None) -> str | None:
    """ISO 'YYYY-MM-DD' -> 'ДД.ММ.ГГГГ' (the manual's display form)."""
    if not iso:
        return iso
    try:
        return date.fromisoformat(iso[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return iso


def display_value(field: str, value: str | None) -> str | None:
    if field == "snils":
        return format_snils(value)
    if field in ("as_of", "birth_date"):
        return format_date(value)
    return value


def describe(params: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """[(label, value)] of the filled parameters, in the manual's order."""
    return [(LABELS[f], display_value(f, params[f])) for f in _ORDER if params.get(f)]


def describe_text(params: Mapping[str, Any]) -> str:
    return " ".join(f"{label}: {value}" for label, value in describe(params))


def fio_search_key(params: Mapping[str, Any]) -> str:
    """Upper-case ФИО with Ё folded to Е, for case- and ё-insensitive substring search."""
    parts = (params.get("surname"), params.get("first_name"), params.get("patronymic"))
    return fold(" ".join(p for p in parts if p))


def fold(text: str | None) -> str:
    return (text or "").upper().replace("Ё", "Е")
