"""Pure mapping: ОЗСП search parameters -> getPersonData request, and its response -> the answer dict.

The request is the keyword arguments zeep takes for getPersonData; the response is the plain
dict zeep.helpers.serialize_object makes of the answer (dates as datetime.date, or ISO strings).
Choices where the contract has no exact place for a parameter are listed in contracts/ferzl/README.md.
"""

import re
from datetime import date

from services.ferzl_bridge.errors import FerzlAuthError, FerzlNotFound, FerzlRejected, FerzlUnavailable
from shared.dictionaries.policy_types import LATIN_TO_CYRILLIC
from shared.dictionaries.statuses import is_active

SHOW = ("Person", "OmsPolicy", "Attach")
UNIFIED = ("П", "Э", "К", "Ц")  # the policy number is the ЕНП
TEMPORARY = ("В", "Е")  # temporary certificates: tmpcertNum
NOT_FOUND = "Персона не найдена"
BIRTH_DATE_MISMATCH = "Персона не найдена: дата рождения не совпадает со сведениями ФЕРЗЛ"
NO_KEYS = "Не заданы параметры поиска: ОИП, ЕНП, документ о страховании, документ личности или СНИЛС"


# ---------------- request ----------------


def build_request(params: dict, external_id: str) -> dict:
    """{"externalRequestId", "personDataSearchParams"} for zeep's getPersonData."""
    info = search_info(params)
    if not info:
        raise FerzlRejected("400", NO_KEYS)
    search: dict[str, object] = {"personSearchInfo": info}
    for key, name in (("surname", "surname"), ("first_name", "firstName"), ("patronymic", "patronymic")):
        if params.get(key):
            search[name] = params[key]
    search["show"] = list(SHOW)
    if params.get("as_of"):
        search["dt"] = to_date(params["as_of"])
    return {"externalRequestId": external_id, "personDataSearchParams": search}


def search_info(params: dict) -> dict:
    """personSearchInfo: oip, pcy, dudl, snilsDr -- only the groups the parameters fill."""
    info = {}
    if params.get("oip"):
        info["oip"] = params["oip"]
    pcy = policy_keys(params)
    if pcy:
        info["pcy"] = pcy
    if params.get("dul_type") and params.get("dul_number"):
        dudl = {"dudlType": params["dul_type"], "dudlNum": params["dul_number"]}
        if params.get("dul_series"):
            dudl["dudlSer"] = document_series(params["dul_type"], params["dul_series"])
        info["dudl"] = dudl
    if params.get("snils"):
        snils = {"snils": params["snils"]}
        if params.get("birth_date"):
            snils["birthDay"] = to_date(params["birth_date"])
        info["snilsDr"] = snils
    return info


def policy_keys(params: dict) -> dict | None:
    """PcyData for the policy the parameters describe. ЕНП, when given, wins over an С/В/Е document."""
    kind = (params.get("dpfs_type") or "").strip().upper().translate(LATIN_TO_CYRILLIC) or None
    enp, number = params.get("enp"), params.get("dpfs_number")
    if enp:
        return {"pcyType": kind, "enp": enp} if kind in UNIFIED else {"enp": enp}
    if kind == "С" and number:
        keys = {"pcyType": "С", "pcyNum": number}
        if params.get("dpfs_series"):
            keys["pcySer"] = params["dpfs_series"]
        return keys
    temporary = params.get("vs_number") or (number if kind in TEMPORARY else None)
    if temporary and kind in TEMPORARY + (None,):
        return {"pcyType": kind or "В", "tmpcertNum": temporary}
    if kind in UNIFIED and number:
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


def to_date(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# ---------------- response ----------------


def answer_from_response(response: dict, birth_date=None) -> dict:
    """The answer dict, or a FerzlError when ФЕРЗЛ reports errors or finds nobody."""
    items = [i for i in ((response.get("errors") or {}).get("errorItem") or []) if i]
    if items:
        raise error_from_items(items)
    pd = response.get("pd")
    if not pd:
        raise FerzlNotFound("409", NOT_FOUND)
    if birth_date and not _birth_date_matches(pd, to_date(birth_date)):
        raise FerzlNotFound("409", BIRTH_DATE_MISMATCH)
    policy = pick_policy(_items(pd, "policy", "policyItems"))
    attachments = [map_attachment(a) for a in _items(pd, "attach", "attachItems")]
    attachments.sort(key=attachment_order)
    return {
        "oip": pd.get("oip"),
        "enp": policy["enp"] if policy else None,
        "policy": policy,
        "attachments": attachments,
    }


def error_from_items(items):
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


def pick_policy(items):
    """The policy to show: the latest-started active one, else the latest-started of all."""
    if not items:
        return None
    active = [p for p in items if is_active(p.get("pcyStatus"))]
    chosen = max(active or items, key=lambda p: iso(p.get("pcyDateB")) or "")
    return map_policy(chosen)


def map_policy(p):
    kind = p.get("pcyType")
    number = p.get("pcyNum") or (p.get("tmpcertNum") if kind in TEMPORARY else None) or p.get("enp")
    return {
        "type": kind,
        "series": p.get("pcySer"),
        "number": number,
        "enp": p.get("enp"),
        "status": p.get("pcyStatus"),
        "date_begin": iso(p.get("pcyDateB")),
        "date_end": iso(p.get("pcyDateE") or p.get("tmpcertDateE")),
        "okato": p.get("okato"),
        "smo_name": p.get("insurfName") or p.get("insurName"),
        "smo_ogrn": p.get("insurfOgrn") or p.get("insurOgrn"),
        "smo_code": p.get("insurfCode") or p.get("insurCode"),
    }


def map_attachment(a):
    return {
        "status": a.get("attachStatus"),
        "mo_code": a.get("moCode"),
        "date_begin": iso(a.get("dateAttachB")),
        "date_end": iso(a.get("dateAttachE")),
        "area_type": None if a.get("areaType") is None else str(a.get("areaType")),
    }


def attachment_order(item):
    """Active therapy (areaType 1) attachments first, then the rest; each group newest first."""
    active_therapy = item["area_type"] == "1" and is_active(item["status"])
    begin = item["date_begin"]
    return not active_therapy, -date.fromisoformat(begin).toordinal() if begin else 0


def iso(value):
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value)[:10]


def _items(pd, group, name):
    return [i for i in ((pd.get(group) or {}).get(name) or []) if i]


def _birth_date_matches(pd, wanted):
    persons = _items(pd, "person", "personItems")
    return not persons or any(iso(p.get("birthDay")) == wanted.isoformat() for p in persons)
