"""Policy found, but ФИО/ДР differ (#22, item 2): the request's surname, first name, patronymic and birth date
against the register's person of ФЕРЗЛ's answer, after folding case, ё/е, hyphens and spaces. ФЕРЗЛ gets what the
manual sends (ФИО as search parameters, the birth date only beside a СНИЛС); this compares what comes back."""

from collections.abc import Iterable, Mapping
from typing import Any

FIELDS = ("surname", "first_name", "patronymic", "birth_date")
NAMES = {"surname": "фамилия", "first_name": "имя", "patronymic": "отчество", "birth_date": "дата рождения"}
NOTE = "Полис найден, но ФИО/дата рождения отличаются: {fields}"


def fold(value: Any) -> str:
    """'Семёнова-Тян Шанская' -> 'СЕМЕНОВАТЯНШАНСКАЯ'; dates compare by their first ten characters (ISO)."""
    text = str(value or "").upper().replace("Ё", "Е")
    return "".join(ch for ch in text if ch not in " -\u2010\u2011\u2012\u2013\u2014\t")


def differences(asked: Mapping[str, Any], persons: Iterable[Mapping[str, Any]]) -> list[str]:
    """Fields the request gives that no person of the answer has (in FIELDS order); [] without persons.
    A person item: {surname, first_name, patronymic, birth_date} (ISO date)."""
    persons = list(persons)
    out = []
    for field in FIELDS:
        wanted = asked.get(field)
        have = [p.get(field) for p in persons if p.get(field)]
        if not wanted or not have:
            continue
        key = (lambda v: str(v)[:10]) if field == "birth_date" else fold
        if all(key(wanted) != key(v) for v in have):
            out.append(field)
    return out


def note(fields: Iterable[str]) -> str | None:
    """The card's and export's text, e.g. «Полис найден, но ФИО/дата рождения отличаются: фамилия, дата рождения»."""
    names = [NAMES[f] for f in fields if f in NAMES]
    return NOTE.format(fields=", ".join(names)) if names else None
