"""Group request files and answer files for the tests (manual §5.1, §5.3). Synthetic people only."""

import csv
import io
from datetime import date, datetime

from shared.clock import to_moscow
from shared.dictionaries.policy_types import policy_type_name
from shared.params import FIELDS
from tests.support import wait_for

# §5.1, the first line of a group file, word for word
FILE_HEADER = (
    "Имя запроса, ОИП, ЕНП, Тип ДПФС, Серия полиса, Номер полиса, Номер временного свидетельства, "
    "Тип ДУЛ, Серия ДУЛ, Номер ДУЛ, СНИЛС, Фамилия, Имя, Отчество, Дата рождения, "
    "Дата [по состоянию на...]"
).split(", ")
# §5.3, the first line of the answer file, typed from the manual (not taken from shared.export)
EXPORT_HEADER = [
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
    "Статус прикрепления 1",
    "Код МО прикрепления 1",
    "Наименование МО прикрепления 1",
    "Дата начала прикрепления 1",
    "Статус прикрепления 2",
    "Код МО прикрепления 2",
    "Наименование МО прикрепления 2",
    "Дата начала прикрепления 2",
    "Статус прикрепления 3",
    "Код МО прикрепления 3",
    "Наименование МО прикрепления 3",
    "Дата начала прикрепления 3",
    "Ответ получен",
]
COLUMNS = FIELDS  # the 16 fields in the manual's order (shared/params.py)


def row(name, **fields):
    """The 16 values of one file line, in the header's order."""
    return [name] + [fields.get(c) or "" for c in COLUMNS[1:]]


def by_enp(name, person):
    return row(name, enp=person["enp"])


def file_bytes(rows, delimiters=";", encoding="utf-8"):
    """Header + rows with CR LF; line n (from 0) uses delimiters[n % len(delimiters)] — mixed when several."""
    lines = []
    for n, values in enumerate([FILE_HEADER, *rows]):
        lines.append(delimiters[n % len(delimiters)].join(values))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(stack, name, content, filename="группа.csv", key=None, session=None):
    headers = {"Idempotency-Key": key} if key else {}
    files = {"file": (filename, content, "text/csv")}
    if session is None:
        return stack.api("POST", "/api/v1/groups", data={"name": name}, files=files, headers=headers)
    return session.post(
        stack.base_url + "/api/v1/groups", data={"name": name}, files=files, headers=headers, timeout=60
    )


def finished(stack, group_id, timeout=60):
    """Wait until no row of the group is «Отправлен»; -> the group."""

    def done():
        group = stack.api("GET", f"/api/v1/groups/{group_id}").json()
        return group if group["status"] != "sent" else None

    return wait_for(done, timeout, 0.3, f"group {group_id} to finish")


def moment(iso):
    return to_moscow(datetime.fromisoformat(iso)).strftime("%d.%m.%Y %H:%M") if iso else ""


def day(iso):
    return date.fromisoformat(iso[:10]).strftime("%d.%m.%Y") if iso else ""


def expected_cells(card):
    """What the answer file must say about one request, from its card (GET /api/v1/requests/{id})."""
    answer = card["answer"] or {}
    policy = answer.get("policy") or {}
    status = {"answered": "Получен Ответ", "error": "Ошибка", "sent": "Отправлен"}[card["status"]]
    if card["status"] == "error" and (card.get("error") or {}).get("message"):
        status += ": " + card["error"]["message"]
    cells = [
        str(card["line_no"]),
        card["name"],
        moment(card["created_at"]),
        status,
        answer.get("enp") or policy.get("enp") or "",
        day(policy.get("date_begin")),
        day(policy.get("date_end")),
        policy_type_name(policy.get("type")) if policy else "",
        policy.get("status") or "",
        policy.get("okato") or "",
        policy.get("smo_name") or "",
        policy.get("smo_ogrn") or "",
        policy.get("smo_code") or "",
    ]
    current = [a for a in answer.get("attachments") or [] if (a.get("status") or "").startswith("Д")][:3]
    for n in range(3):
        a = current[n] if n < len(current) else {}
        cells += [a.get("status") or "", a.get("mo_code") or "", a.get("mo_name") or "", day(a.get("date_begin"))]
    return cells + [moment(card["answered_at"])]


def read_csv(data, encoding="utf-8-sig"):
    """An answer file -> (lines as text, rows of cells); checks ';' and CR LF on the way."""
    text = data.decode(encoding)
    lines = text.split("\r\n")
    assert lines[-1] == "" and "\n" not in "".join(lines), "every line must end with CR LF"
    return lines[:-1], list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
