"""Pure mapping: ОЗСП search parameters -> getPersonData request, and its response -> the Answer.

The request is the keyword arguments zeep takes for getPersonData; the response is the plain
dict zeep.helpers.serialize_object makes of the answer (dates as datetime.date, or ISO strings).
Choices where the contract has no exact place for a parameter are listed in contracts/ferzl/README.md.
"""

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from services.ferzl_bridge.errors import (
    FerzlAuthError,
    FerzlError,
    FerzlNotFound,
    FerzlRejected,
    FerzlUnavailable,
)
from shared import person_match
from shared.dictionaries.policy_types import (
    LATIN_TO_CYRILLIC,
    OLD_POLICY_TYPE,
    TEMPORARY_POLICY_TYPES,
    UNIFIED_POLICY_TYPES,
)
from shared.dictionaries.statuses import is_active
from shared.domain import Answer, Attachment, Policy, RequestParams, sorted_attachments

SHOW = ("Person", "OmsPolicy", "Attach")
NOT_FOUND = "Персона не найдена"
NO_KEYS = "Не заданы параметры поиска: ОИП, ЕНП, документ о страховании, документ личности или СНИЛС"


# ---------------- request ----------------


def build_request(params: Mapping[str, Any], external_id: str) -> dict[str, Any]:
    """{"externalRequestId", "personDataSearchParams"} for zeep's getPersonData."""
    p = RequestParams.from_dict(params)
    info = search_info(p)
    if not info:
        raise FerzlRejected("400", NO_KEYS)
    search: dict[str, object] = {"personSearchInfo": info}
    for value, name in ((p.surname, "surname"), (p.first_name, "firstName"), (p.patronymic, "patronymic")):
        if value:
            search[name] = value
    search["show"] = list(SHOW)
    if p.as_of:
        search["dt"] = to_date(p.as_of)
    return {"externalRequestId": external_id, "personDataSearchParams": search}


def search_info(p: RequestParams) -> dict[str, Any]:
    """personSearchInfo: oip, pcy, dudl, snilsDr -- only the groups the parameters fill."""
    info: dict[str, Any] = {}
    if p.oip:
        info["oip"] = p.oip
    pcy = policy_keys(p)
    if pcy:
        info["pcy"] = pcy
    if p.dul_type and p.dul_number:
        dudl = {"dudlType": p.dul_type, "dudlNum": p.dul_number}
        if p.dul_series:
            dudl["dudlSer"] = document_series(p.dul_type, p.dul_series)
        info["dudl"] = dudl
    if p.snils:
        snils: dict[str, Any] = {"snils": p.snils}
        if p.birth_date:
            snils["birthDay"] = to_date(p.birth_date)
        info["snilsDr"] = snils
    return info


def policy_keys(p: RequestParams) -> dict[str, Any] | None:
    """PcyData for the policy the parameters describe. ЕНП, when given, wins over an С/В/Е document."""
    kind = (p.dpfs_type or "").strip().upper().translate(LATIN_TO_CYRILLIC) or None
    enp, number = p.enp, p.dpfs_number
    if enp:
        return {"pcyType": kind, "enp": enp} if kind in UNIFIED_POLICY_TYPES else {"enp": enp}
    if kind == OLD_POLICY_TYPE and number:
        keys = {"pcyType": kind, "pcyNum": number}
        if p.dpfs_series:
            keys["pcySer"] = p.dpfs_series
        return keys
    temporary = p.vs_number or (number if kind in TEMPORARY_POLICY_TYPES else None)
    if temporary and kind in TEMPORARY_POLICY_TYPES + (None,):
        return {"pcyType": kind or "В", "tmpcertNum": temporary}
    if kind in UNIFIED_POLICY_TYPES and number:
        return {"pcyType": kind, "enp": number}
    if kind is None and number and re.fullmatch(r"\d{16}", number):
        return {"enp": number}
    return None


def document_series(doc_type: str, series: str) -> str:
    """Passport of the RF (F011 14) is sent as '46 12'; other series as given."""
    digits = re.sub(r"\D", "", series)
    if doc_type == "14" and len(digits) == 4:
        return f"{digits[:2]} {digits[2:]}"
    return series


def to_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# ---------------- response ----------------


def answer_from_response(response: Mapping[str, Any], asked: Mapping[str, Any] | None = None) -> Answer:
    """The Answer, or a FerzlError when ФЕРЗЛ reports errors or finds nobody. `asked`: the request's parameters;
    where its ФИО or birth date differ from the register's person the answer says so (shared.person_match)."""
    items = [i for i in ((response.get("errors") or {}).get("errorItem") or []) if i]
    if items:
        raise error_from_items(items)
    pd = response.get("pd")
    if not pd:
        raise FerzlNotFound("409", NOT_FOUND)
    policy = pick_policy(_items(pd, "policy", "policyItems"))
    attachments = sorted_attachments(map_attachment(a) for a in _items(pd, "attach", "attachItems"))
    mismatch = person_match.differences(asked or {}, map(_person, _items(pd, "person", "personItems")))
    return Answer(pd.get("oip"), policy, attachments, tuple(mismatch))


def error_from_items(items: list[Mapping[str, Any]]) -> FerzlError:
    """One exception for the errorItems: any 5xx -> unavailable, 401/403 -> auth, else rejected."""
    codes = [str(i.get("code") or "").strip() for i in items]
    message = "; ".join(dict.fromkeys((i.get("message") or "").strip() for i in items if i.get("message")))
    message = message or "ФЕРЗЛ вернул ошибку без описания"
    for code in codes:
        if code.startswith("5"):
            return FerzlUnavailable(code, message)
    for code in codes:
        if code in ("401", "403"):
            return FerzlAuthError(code, message)
    if "не найден" in message.lower():
        return FerzlNotFound(codes[0], message)
    return FerzlRejected(codes[0], message)


def pick_policy(items: list[Mapping[str, Any]]) -> Policy | None:
    """The policy to show: the latest-started active one, else the latest-started of all."""
    if not items:
        return None
    active = [p for p in items if is_active(p.get("pcyStatus"))]
    chosen = max(active or items, key=lambda p: iso(p.get("pcyDateB")) or "")
    return map_policy(chosen)


def map_policy(p: Mapping[str, Any]) -> Policy:
    kind = p.get("pcyType")
    number = p.get("pcyNum") or (p.get("tmpcertNum") if kind in TEMPORARY_POLICY_TYPES else None) or p.get("enp")
    return Policy(
        type=kind,
        series=p.get("pcySer"),
        number=number,
        enp=p.get("enp"),
        status=p.get("pcyStatus"),
        date_begin=iso(p.get("pcyDateB")),
        date_end=iso(p.get("pcyDateE") or p.get("tmpcertDateE")),
        okato=p.get("okato"),
        smo_name=p.get("insurfName") or p.get("insurName"),
        smo_ogrn=p.get("insurfOgrn") or p.get("insurOgrn"),
        smo_code=p.get("insurfCode") or p.get("insurCode"),
    )


def map_attachment(a: Mapping[str, Any]) -> Attachment:
    return Attachment(
        status=a.get("attachStatus"),
        mo_code=a.get("moCode"),
        date_begin=iso(a.get("dateAttachB")),
        date_end=iso(a.get("dateAttachE")),
        area_type=None if a.get("areaType") is None else str(a.get("areaType")),
    )


def iso(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value)[:10]


def _items(pd: Mapping[str, Any], group: str, name: str) -> list[Mapping[str, Any]]:
    return [i for i in ((pd.get(group) or {}).get(name) or []) if i]


def _person(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "surname": item.get("surname"),
        "first_name": item.get("firstName"),
        "patronymic": item.get("patronymic"),
        "birth_date": iso(item.get("birthDay")),
    }
