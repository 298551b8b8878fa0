"""The group export file (manual §5.3): header, one row per request, safe CSV cells."""

import csv
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from shared import person_match
from shared.clock import MOSCOW, to_moscow
from shared.dictionaries.policy_types import policy_type_name
from shared.domain import Answer, Attachment, as_answer
from shared.params import format_date
from shared.status import ANSWERED, ERROR, label

MAX_ATTACHMENTS = 3

HEADER = [
    "Строка",
    "Имя Запроса",
    "Отправлен",
    "Статус Запроса",
    "ЕНП",
    "Дата начала действия полиса",
    "Дата окончания действия полиса",
    "Тип полиса",
    "Статус полиса",
    "ОКАТО территории ОМС",
    "Наименование СМО",
    "ОГРН СМО",
    "Реестровый код СМО",
]
for _n in range(1, MAX_ATTACHMENTS + 1):
    HEADER += [
        f"Статус прикрепления {_n}",
        f"Код МО прикрепления {_n}",
        f"Наименование МО прикрепления {_n}",
        f"Дата начала прикрепления {_n}",
    ]
HEADER.append("Ответ получен")

_FORMULA_START = frozenset("=+-@\t\r")


def format_moment(value: str | datetime | None) -> str:
    """ISO datetime (or datetime) -> 'ДД.ММ.ГГГГ ЧЧ:ММ' in Moscow time."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return _minute_text(int(to_moscow(moment).timestamp() // 60))


@lru_cache(maxsize=4096)
def _minute_text(minute: int) -> str:
    # An export repeats few minutes (every row of a group has the same creation time): format each once.
    return datetime.fromtimestamp(minute * 60, MOSCOW).strftime("%d.%m.%Y %H:%M")


_day = lru_cache(maxsize=4096)(format_date)


def safe_cell(value: object) -> str:
    """Neutralise cells a spreadsheet would run as a formula (CSV injection)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text[:1] in _FORMULA_START else text


def current_attachments(answer: Answer | None) -> list[Attachment]:
    return answer.current_attachments(MAX_ATTACHMENTS) if answer else []


_NO_ATTACHMENT = Attachment(None, None, None, None, None)


def row(request: Mapping[str, Any]) -> list[str]:
    """request: {line_no, name, created_at, status, error_message, answer, answered_at} -> the export cells;
    the answer an Answer or its dict form."""
    answer = as_answer(request.get("answer"))
    policy = answer.policy if answer else None
    status = label(request["status"])
    if request["status"] == ERROR and request.get("error_message"):
        status = f"{status}: {request['error_message']}"
    elif request["status"] == ANSWERED and answer and answer.mismatch:
        status = f"{status}: {person_match.note(answer.mismatch)}"  # ФИО/ДР differ (#22): same column
    cells: list[Any] = [
        request.get("line_no"),
        request.get("name"),
        format_moment(request.get("created_at")),
        status,
    ]
    if policy:
        cells += [
            policy.enp,
            _day(policy.date_begin),
            _day(policy.date_end),
            policy_type_name(policy.type),
            policy.status,
            policy.okato,
            policy.smo_name,
            policy.smo_ogrn,
            policy.smo_code,
        ]
    else:
        cells += [""] * 9
    attachments = current_attachments(answer)
    for n in range(MAX_ATTACHMENTS):
        a = attachments[n] if n < len(attachments) else _NO_ATTACHMENT
        cells += [a.status, a.mo_code, a.mo_name, _day(a.date_begin)]
    cells.append(format_moment(request.get("answered_at")))
    # safe_cell() inlined: 26 calls a row cost a third of an export
    return [
        "" if c is None else ("'" + c if c[:1] in _FORMULA_START else c) if isinstance(c, str) else safe_cell(c)
        for c in cells
    ]


class _Lines(list):
    write = list.append  # the csv writer writes each row with one call


def csv_lines(rows: Iterable[Sequence[object]]) -> list[str]:
    """Rows of cells -> one CSV line each (';', CR LF, a cell quoted only when needed)."""
    out = _Lines()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out


def csv_text(rows: Iterable[Sequence[object]], with_header: bool = False) -> str:
    """Rows of cells -> CSV text with ';' and CR LF, every cell quoted only when needed."""
    return "".join(csv_lines([HEADER, *rows] if with_header else rows))
