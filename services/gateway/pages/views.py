"""What the pages show, as plain data: form fields, card sections, journal filters, paging. No nameko here."""

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from services.gateway import messages
from services.gateway.needs import Record
from shared import changes, clock, person_match
from shared import params as P
from shared.dictionaries.f011 import dul_type_choices
from shared.dictionaries.policy_types import POLICY_TYPES, REQUEST_POLICY_TYPES, policy_type_name
from shared.dictionaries.statuses import ATTACHMENT_STATUSES, POLICY_STATUSES
from shared.domain import Attachment, Policy, as_answer
from shared.status import ANSWERED, ERROR, SENT, STATUSES, label

DATE_FIELDS = ("as_of", "birth_date")
SUMMARY_SIZE = 10
JOURNAL_PAGE_SIZE = 25

# ---------------- the individual request form (Рисунок 6) ----------------

NONE_CHOICE = ("", "Нет")
POLICY_CHOICES = [NONE_CHOICE] + [(code, POLICY_TYPES[code]) for code in REQUEST_POLICY_TYPES]
DUL_CHOICES = [NONE_CHOICE] + [(str(code), f"{name} ({code})") for code, name in dul_type_choices()]


def _field(name: str, label_text: str, kind: str = "text", **attrs: Any) -> dict[str, Any]:
    return {"name": name, "label": label_text, "kind": kind, "attrs": attrs}


# Fieldsets in the manual's order of fields; legends use the manual's terms (§4.1).
FORM_GROUPS: tuple[dict[str, Any], ...] = (
    {
        "legend": "Сведения о лице",
        "fields": (
            _field("oip", "ОИП", inputmode="numeric", maxlength="20", autocomplete="off"),
            _field("enp", "ЕНП", inputmode="numeric", maxlength="24", autocomplete="off"),
            _field(
                "snils", "СНИЛС", inputmode="numeric", maxlength="20", autocomplete="off", placeholder="112-233-445 95"
            ),
        ),
    },
    {
        "legend": "Реквизиты полиса",
        "fields": (
            _field("dpfs_type", "Тип ДПФС", "select", choices=POLICY_CHOICES),
            _field("dpfs_series", "Серия", maxlength="20", autocomplete="off"),
            _field("dpfs_number", "Номер", maxlength="24", autocomplete="off"),
            _field("vs_number", "Номер ВС", inputmode="numeric", maxlength="12", autocomplete="off"),
        ),
    },
    {
        "legend": "Реквизиты ДУЛ",
        "fields": (
            _field("dul_type", "Тип ДУЛ", "select", choices=DUL_CHOICES),
            _field("dul_series", "Серия ДУЛ", maxlength="20", autocomplete="off", placeholder="46 12"),
            _field("dul_number", "Номер ДУЛ", maxlength="24", autocomplete="off"),
        ),
    },
    {
        "legend": "Дополнительные параметры",
        "fields": (
            _field("as_of", "По состоянию на дату", "date", placeholder="ДД-ММ-ГГГГ", maxlength="10"),
            _field("surname", "Фамилия", maxlength="40", autocomplete="off"),
            _field("first_name", "Имя", maxlength="40", autocomplete="off"),
            _field("patronymic", "Отчество", maxlength="40", autocomplete="off"),
            _field("birth_date", "Дата Рождения", "date", placeholder="ДД-ММ-ГГГГ", maxlength="10"),
        ),
    },
)
NAME_FIELD = _field(
    "name", "Имя запроса", maxlength="100", placeholder="Произвольное имя для журнала запросов", autocomplete="off"
)
FIELD_LABELS = {f["name"]: f["label"] for g in FORM_GROUPS for f in g["fields"]} | {"name": NAME_FIELD["label"]}


def dash_date(value: object) -> str:
    """date or ISO text -> 'ДД-ММ-ГГГГ' (the form's input format)."""
    if not value:
        return ""
    try:
        parsed = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return parsed.strftime("%d-%m-%Y")


def blank_form(today: date) -> dict[str, str]:
    values = {f: "" for f in P.FIELDS}
    values["as_of"] = dash_date(today)
    return values


def posted_values(form: Mapping[str, str]) -> dict[str, str]:
    """The 16 fields as typed (kept as they are, to be shown again beside ФЛК's messages)."""
    return {f: (form.get(f) or "")[:200] for f in P.FIELDS}


def values_from_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """A stored request's normalised parameters -> what the form shows («Редактировать»)."""
    params = params or {}
    values = {f: "" if params.get(f) is None else str(params[f]) for f in P.FIELDS}
    for f in DATE_FIELDS:
        values[f] = dash_date(values[f])
    values["snils"] = P.format_snils(values["snils"]) or ""
    return values


# ФЛК reports «Заполните хотя бы одно из обязательных полей…» on ОИП (the API's field); the page shows it over
# the whole group of identifiers (ОИП, ЕНП, СНИЛС, полис, ДУЛ), as IDENTITY_ERROR.
IDENTITY_REQUIRED_START = "Заполните хотя бы одно из обязательных полей"
IDENTITY_ERROR = "_identity"
IDENTITY_LEGENDS = ("Сведения о лице", "Реквизиты полиса", "Реквизиты ДУЛ")


def field_errors(errors: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """ФЛК's [{field, message}] -> {field: message}; several messages of one field are joined."""
    out: dict[str, str] = {}
    for err in errors or []:
        field = str(err["field"]) if err.get("field") in FIELD_LABELS else "_form"
        if str(err.get("message", "")).startswith(IDENTITY_REQUIRED_START):
            field = IDENTITY_ERROR
        out[field] = f"{out[field]} {err['message']}" if field in out else err["message"]
    return out


# ---------------- when ----------------


def _moscow(iso: object) -> datetime | None:
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return None
    return clock.to_moscow(moment)


def datetime_text(iso: object, separator: str = ".") -> str:
    """ISO instant -> 'ДД.ММ.ГГГГ ЧЧ:ММ' in Moscow time ('ДД-ММ-ГГГГ ЧЧ:ММ' with separator '-')."""
    moment = _moscow(iso)
    return moment.strftime(f"%d{separator}%m{separator}%Y %H:%M") if moment else ""


def date_text(iso: str | None) -> str:
    return P.format_date(iso) or ""


# ---------------- summary and journal rows ----------------


def request_rows(items: Iterable[Record]) -> list[Record]:
    return [
        {
            "id": i["id"],
            "name": i["name"],
            "created_at": i["created_at"],
            "params_text": i["params_text"],
            "status": i["status"],
            "status_label": i["status_label"],
        }
        for i in items
    ]


def any_pending(items: Iterable[Record]) -> bool:
    return any(i["status"] == SENT for i in items)


def pending_ids(items: Iterable[Record]) -> str:
    """ "1,2,3": the requests still waiting for ФЕРЗЛ, for the page's GET /individual/wait."""
    return ",".join(str(i["id"]) for i in items if i["status"] == SENT)


# ---------------- the card (Рисунок 9–11) ----------------


def _status(code: str | None, dictionary: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    name, description = dictionary.get(code or "", (None, None))
    return {"code": code or "", "name": name, "description": description}


def _row(label_text: str, value: str | None = None, status: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"label": label_text, "value": value or "", "status": status}


def policy_rows(policy: Policy) -> list[dict[str, Any]]:
    return [
        _row("ЕНП", policy.enp),
        _row("Дата начала действия полиса", date_text(policy.date_begin)),
        _row("Дата окончания действия полиса", date_text(policy.date_end)),
        _row("Тип полиса", policy_type_name(policy.type)),
        _row("Статус полиса", status=_status(policy.status, POLICY_STATUSES)),
    ]


def smo_rows(policy: Policy) -> list[dict[str, Any]]:
    return [
        _row("ОКАТО территории ОМС", policy.okato),
        _row("Наименование СМО", policy.smo_name),
        _row("ОГРН СМО", policy.smo_ogrn),
        _row("Реестровый код СМО", policy.smo_code),
    ]


def attachment_rows(item: Attachment) -> list[dict[str, Any]]:
    return [
        _row("Статус прикрепления", status=_status(item.status, ATTACHMENT_STATUSES)),
        _row("Код МО прикрепления", item.mo_code),
        _row("Наименование МО прикрепления", item.mo_name),
        _row("Дата начала прикрепления", date_text(item.date_begin)),
    ]


def _changes_view(since: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """changes_since of a card -> {request_id, text}: what changed since the earlier answer, or «без изменений»."""
    if not since or not since.get("request_id"):
        return None
    fields = since.get("fields") or []
    text = "изменилось: " + changes.describe(fields) if fields else "без изменений"
    return {"request_id": since["request_id"], "text": text, "changed": bool(fields)}


def card_view(card: Record) -> dict[str, Any]:
    answer = as_answer(card.get("answer"))
    policy = answer.policy if answer else None
    attachments = [attachment_rows(a) for a in answer.attachments] if answer else []
    return {
        "id": card["id"],
        "name": card["name"],
        "status": card["status"],
        "group_id": card.get("group_id"),
        "status_label": card.get("status_label") or label(card["status"]),
        "created_at": card["created_at"],
        "answered_at": card.get("answered_at"),
        "reused_from": card.get("reused_from"),
        "changes": _changes_view(card.get("changes_since")),
        "mismatch_note": person_match.note(card.get("mismatch") or []) if card["status"] == ANSWERED else None,
        "ferzl_answered_at": card.get("ferzl_answered_at"),
        "params_text": card.get("params_text") or "",
        "pending": card["status"] == SENT,
        "answered": card["status"] == ANSWERED,
        "error": card.get("error") if card["status"] == ERROR else None,
        "enp": answer.enp if answer else None,
        "policy": policy_rows(policy) if policy else None,
        "smo": smo_rows(policy) if policy else None,
        "main_attachment": attachments[0] if attachments else None,
        "other_attachments": attachments[1:],
    }


# ---------------- the journal's filters (§6, Рисунок 17–18) ----------------

STATUS_CHOICES = [("", "Все")] + [(s, label(s)) for s in STATUSES]
PERIOD_EARLIEST, PERIOD_LATEST = date(1900, 1, 1), date(2099, 12, 31)
_DATE_IN_TEXT = re.compile(r"(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{4})")
_PERIOD_REST = re.compile(r"[\s\-–—]*")


def parse_period(text: str | None) -> tuple[date | None, date | None, str | None]:
    """'01.06.2026 – 30.06.2026' or one date -> (date_from, date_to, None), or (None, None, message)."""
    text = (text or "").strip()
    if not text:
        return None, None, None
    found = list(_DATE_IN_TEXT.finditer(text))
    rest = _DATE_IN_TEXT.sub("", text)
    if not 1 <= len(found) <= 2 or not _PERIOD_REST.fullmatch(rest):
        return None, None, messages.PERIOD_FORMAT
    try:
        dates = [date(int(m.group(3)), int(m.group(2)), int(m.group(1))) for m in found]
    except ValueError:
        return None, None, messages.PERIOD_FORMAT
    if not PERIOD_EARLIEST <= min(dates) <= max(dates) <= PERIOD_LATEST:
        return None, None, messages.PERIOD_RANGE
    return min(dates), max(dates), None


def period_text(date_from: date | None, date_to: date | None) -> str:
    if not date_from or not date_to:
        return ""
    first, last = date_from.strftime("%d.%m.%Y"), date_to.strftime("%d.%m.%Y")
    return first if first == last else f"{first} – {last}"


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def quick_ranges(today: date) -> list[tuple[str, date, date]]:
    """The quick choices beside the calendar (Рисунок 18): [(label, first, last)]."""
    month_start = today.replace(day=1)
    previous_end = month_start - timedelta(days=1)
    return [
        ("Сегодня", today, today),
        ("Вчера", today - timedelta(days=1), today - timedelta(days=1)),
        ("Последние 7 дней", today - timedelta(days=6), today),
        ("Последние 30 дней", today - timedelta(days=29), today),
        ("Этот месяц", month_start, _month_end(today)),
        ("Предыдущий месяц", previous_end.replace(day=1), previous_end),
    ]


def journal_query(args: Mapping[str, str]) -> dict[str, Any]:
    """Query string of the journal page -> {filters, form (values to show), errors, page, searching}."""
    values = {
        "period": (args.get("period") or "").strip()[:60],
        "fio": (args.get("fio") or "").strip()[:60],
        "status": args.get("status") or "",
        "changed": "1" if args.get("changed") == "1" else "",  # «изменилось с прошлой проверки» (#22)
    }
    errors: dict[str, str] = {}
    filters: dict[str, Any] = {}
    date_from, date_to, message = parse_period(values["period"])
    if message:
        errors["period"] = message
    elif date_from and date_to:
        filters["date_from"], filters["date_to"] = date_from.isoformat(), date_to.isoformat()
        values["period"] = period_text(date_from, date_to)
    if values["fio"]:
        if len(values["fio"].split()) > 1:
            errors["fio"] = messages.COMBINED_FIO
        else:
            filters["fio"] = values["fio"]
    if values["status"] in STATUSES:
        filters["status"] = values["status"]
    else:
        values["status"] = ""
    if values["changed"]:
        filters["changed"] = True
    return {
        "filters": filters,
        "form": values,
        "errors": errors,
        "page": page_number(args),
        "searching": bool(filters or errors),
    }


def page_number(args: Mapping[str, str]) -> int:
    try:
        return max(1, min(int(args.get("page") or 1), 100000))
    except ValueError:
        return 1


def journal_listing(result: Record | None) -> tuple[list[Record], dict[str, Any] | None]:
    """A journal page of journal.list_requests -> (rows, paging); (None, None) when nothing was asked."""
    if not result:
        return [], None
    rows = request_rows(result["items"])
    return rows, pager(result["page"], result["per_page"], result["total"], result.get("total_exact", True), len(rows))


def pager(page: int, per_page: int, total: int, exact: bool = True, shown: int | None = None) -> dict[str, Any]:
    """Paging model: the shown range and numbered links around the current page.

    When the journal capped its count (exact=False), pages go on as long as a page comes back full."""
    if shown is None:
        shown = max(0, min(per_page, total - (page - 1) * per_page))
    offset = (page - 1) * per_page
    last = max(1, -(-total // per_page))
    if not exact:
        last = max(last, page)
    numbers = sorted({1, *range(max(1, page - 2), min(last, page + 2) + 1)} | ({last} if exact else set()))
    links: list[int | None] = []
    previous = 0
    for n in numbers:
        if n - previous > 1:
            links.append(None)  # a gap: «…»
        links.append(n)
        previous = n
    more = page < last if exact else shown == per_page
    return {
        "page": page,
        "last": last,
        "from": offset + 1 if shown else 0,
        "to": offset + shown,
        "total": total,
        "exact": exact,
        "links": links,
        "prev": page - 1 if page > 1 else None,
        "next": page + 1 if more else None,
    }


# ---------------- group requests (manual §5, Рисунок 14–16) ----------------

GROUP_JOURNAL_DAYS = 30
GROUP_PAGE_SIZE = 25
GROUP_NAME_FIELD = _field(
    "name",
    "Имя запроса",
    maxlength="100",
    autocomplete="off",
    placeholder="Произвольное наименование группового запроса для журнала",
)


def group_journal_query(args: Mapping[str, str], today: date) -> dict[str, Any]:
    """The group journal shows the last 30 days unless another period is chosen (manual §5.3).

    -> {filters, form, errors, page, searching}, shaped like journal_query for the shared templates."""
    typed = (args.get("period") or "").strip()[:60]
    date_from, date_to, message = parse_period(typed)
    if not date_from or not date_to:
        date_from, date_to = today - timedelta(days=GROUP_JOURNAL_DAYS - 1), today
    errors = {"period": message} if message else {}
    filters = {} if message else {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    form = {"period": typed if message else period_text(date_from, date_to), "fio": "", "status": ""}
    return {"filters": filters, "form": form, "errors": errors, "page": page_number(args), "searching": bool(typed)}


def group_rows(items: Iterable[Record]) -> list[Record]:
    """Groups as the journal shows them (Рисунок 15): counters, status, progress, whether it can be exported."""
    rows = []
    for g in items:
        total, received = g["total"], g["received"]
        rows.append(
            {
                "id": g["id"],
                "name": g["name"],
                "created_at": g["created_at"],
                "total": total,
                "received": received,
                "failed": g.get("failed", 0),
                "reused": g.get("reused", 0),
                "status": g["status"],
                "status_label": g["status_label"],
                "finished": g["status"] != SENT,
                "percent": (100 * received // total) if total else 100,
            }
        )
    return rows


def any_group_pending(result: Record, rows: Iterable[Record]) -> bool:
    """Still processing: a shown group, or any group of the organisation (journal.list_groups in_progress)."""
    return bool(result.get("in_progress")) or any(not r["finished"] for r in rows)


def flk_rows(errors: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """ФЛК errors of a file (line, column, message) for the page and its CSV; file-level ones have no line."""
    return [
        {"line": e.get("line") or "", "field": e.get("field") or "", "message": e.get("message") or ""}
        for e in errors or []
    ]
