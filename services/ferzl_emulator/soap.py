"""The emulator's SOAP 1.1 wire format: parse requests and build responses with lxml.

Element names and order follow the contract (contracts/ferzl/); the namespaces are those of the emulator's
API version (shared.ferzl_api, FERZL_API_VERSION).
Errors travel as errors/errorItem (code, message, tag, value) inside an HTTP 200 answer;
an envelope that cannot be read at all is answered with a SOAP Fault (HTTP 400).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree

from services.ferzl_emulator.ids import format_snils, luhn_ok, snils_ok
from services.ferzl_emulator.model import SMO, TEMPORARY, Attachment, Person, Policy
from services.ferzl_emulator.register import Conflict, Register
from shared.ferzl_api import DEFAULT, FerzlApi

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES, COMMON = DEFAULT.types, DEFAULT.common  # of the default version

OPERATIONS = {"getPersonDataRequest": "getPersonData", "getInsuranceStatusRequest": "getInsuranceStatus"}
SHOW_NAMES = ("Person", "OmsPolicy", "Dudl", "Address", "Attach", "Contact", "Snils", "SocialStatus", "Ern")
NIL_GUID = "00000000-0000-0000-0000-000000000000"
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
XS_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?")
SOURCE, SOURCE_TYPE = "46000", "ТФОМС"  # who supplied the data: the ТФОМС of the Moscow Region

# (code, message). Codes follow the ФЕРЗЛ table of result codes; the texts are ours (the
# published description gives none), see contracts/ferzl/README.md.
NOT_FOUND = ("409", "Персона не найдена")
CONFLICT = ("409", "Противоречивые параметры поиска: указанные идентификаторы относятся к разным персонам")
SYSTEM_ERROR = ("500", "Системная ошибка")
FORMAT_ERROR = ("400", "Ошибка в формате запроса: параметры не прошли форматный контроль")  # injected by a knob
AUTH_FAULT = "Ошибка аутентификации: неверный или истёкший токен доступа"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False)


ErrorItem = tuple[str | None, ...]  # (code, message[, tag[, value]])


class BadEnvelope(Exception):
    """Not a SOAP request we can read: answered with a Fault, HTTP 400."""


@dataclass
class Call:
    operation: str  # getPersonData | getInsuranceStatus
    external_id: str
    query: dict = field(default_factory=dict)
    dt: date | None = None
    show: tuple = SHOW_NAMES
    errors: list[ErrorItem] = field(default_factory=list)


# ---------------- parsing ----------------


def _text(parent: etree._Element | None, tag: str) -> str | None:
    el = parent.find(tag) if parent is not None else None
    if el is None or el.text is None:
        return None
    return el.text.strip() or None


def _date(parent: etree._Element | None, tag: str, path: str, errors: list[ErrorItem]) -> date | None:
    raw = _text(parent, tag)
    if raw is None:
        return None
    m = XS_DATE.fullmatch(raw)
    try:
        if m:
            return date.fromisoformat(m.group(1))
    except ValueError:
        pass
    errors.append(("400", "Неверный формат даты, ожидается ГГГГ-ММ-ДД", path, raw))
    return None


def parse(body: bytes, api: FerzlApi = DEFAULT) -> Call:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        raise BadEnvelope("Ошибка в формате запроса: XML не разобран") from None
    if root.tag != f"{{{SOAP}}}Envelope":
        raise BadEnvelope("Ошибка в формате запроса: ожидается конверт SOAP 1.1")
    soap_body = root.find(f"{{{SOAP}}}Body")
    payload = next(iter(soap_body.iterchildren(tag=etree.Element)), None) if soap_body is not None else None
    if (
        payload is None
        or etree.QName(payload).namespace != api.types
        or etree.QName(payload).localname not in OPERATIONS
    ):
        raise BadEnvelope("Ошибка в формате запроса: неизвестная операция")
    call = Call(OPERATIONS[etree.QName(payload).localname], NIL_GUID)
    errors = call.errors

    external_id = _text(payload, api.c("externalRequestId"))
    if external_id and GUID.fullmatch(external_id):
        call.external_id = external_id
    else:
        errors.append(
            ("400", "Идентификатор запроса externalRequestId должен быть GUID", "externalRequestId", external_id)
        )

    wrapper = "personDataSearchParams" if call.operation == "getPersonData" else "insuranceStatusSearchParams"
    params = payload.find(api.t(wrapper))
    if params is None:
        errors.append(("400", f"Не указан элемент {wrapper}", wrapper, None))
        return call
    call.query = _search(params.find(api.t("personSearchInfo")), f"{wrapper}/personSearchInfo", errors, api)
    call.dt = _date(params, api.t("dt"), f"{wrapper}/dt", errors)
    if call.operation == "getPersonData":
        for key, tag in (("surname", "surname"), ("first_name", "firstName"), ("patronymic", "patronymic")):
            call.query[key] = _text(params, api.t(tag))
        show = (_text(params, api.t("show")) or "").split()
        wrong = [s for s in show if s not in SHOW_NAMES]
        if wrong:
            errors.append(("400", "Недопустимое значение show", f"{wrapper}/show", " ".join(wrong)))
        call.show = tuple(show) or SHOW_NAMES
    return call


def _search(info: etree._Element | None, path: str, errors: list[ErrorItem], api: FerzlApi) -> dict[str, Any]:
    """personSearchInfo -> the register's query; problems go to errors as 400 items."""
    if info is None:
        errors.append(("400", "Не указан элемент personSearchInfo", path, None))
        return {}
    query: dict[str, Any] = {"oip": _text(info, api.t("oip")), "pcy": None, "dudl": None, "snils": None}
    if query["oip"] is not None and not re.fullmatch(r"\d{12}", query["oip"]):
        errors.append(("400", "ОИП должен состоять из 12 цифр", f"{path}/oip", query["oip"]))

    el = info.find(api.t("pcy"))
    if el is not None:
        pcy = {
            "type": _text(el, api.c("pcyType")),
            "enp": _text(el, api.c("enp")),
            "series": _text(el, api.c("pcySer")),
            "number": _text(el, api.c("pcyNum")),
            "tmpcert": _text(el, api.c("tmpcertNum")),
        }
        _check_pcy(pcy, f"{path}/pcy", errors)
        query["pcy"] = pcy

    el = info.find(api.t("dudl"))
    if el is not None:
        dudl = {
            "type": _text(el, api.c("dudlType")),
            "series": _text(el, api.c("dudlSer")),
            "number": _text(el, api.c("dudlNum")),
            "date_b": _date(el, api.c("dudlDateB"), f"{path}/dudl/dudlDateB", errors),
        }
        if dudl["type"] is None:
            errors.append(("400", "Не указан тип ДУДЛ (dudlType)", f"{path}/dudl/dudlType", None))
        if dudl["number"] is None:
            errors.append(("400", "Не указан номер ДУДЛ (dudlNum)", f"{path}/dudl/dudlNum", None))
        query["dudl"] = dudl

    el = info.find(api.t("snilsDr"))
    if el is not None:
        snils = _text(el, api.t("snils"))
        birth = _date(el, api.t("birthDay"), f"{path}/snilsDr/birthDay", errors)
        digits = re.sub(r"\D", "", snils or "")
        if snils is None:
            errors.append(("400", "Не указан СНИЛС (snils)", f"{path}/snilsDr/snils", None))
        elif len(digits) != 11:
            errors.append(("400", "СНИЛС должен содержать 11 цифр", f"{path}/snilsDr/snils", snils))
        elif not snils_ok(digits):
            errors.append(("400", "Неверное контрольное число СНИЛС", f"{path}/snilsDr/snils", snils))
        query["snils"] = {"snils": digits, "birth_date": birth}

    if not any(query[k] for k in ("oip", "pcy", "dudl", "snils")):
        errors.append(("400", "Не заданы параметры поиска персоны: укажите oip, pcy, dudl или snilsDr", path, None))
    return query


def _check_pcy(pcy: dict[str, Any], path: str, errors: list[ErrorItem]) -> None:
    kind, enp = pcy["type"], pcy["enp"]
    if kind is not None and not re.fullmatch("[СВЕПЭКХМЦ]", kind):
        errors.append(("400", "Недопустимый тип полиса (pcyType)", f"{path}/pcyType", kind))
        return
    if enp is not None and not re.fullmatch(r"\d{16}", enp):
        errors.append(("400", "ЕНП должен состоять из 16 цифр", f"{path}/enp", enp))
    elif enp is not None and not luhn_ok(enp):
        errors.append(("400", "Неверная контрольная цифра ЕНП", f"{path}/enp", enp))
    if kind == "С" and pcy["number"] is None:
        errors.append(
            ("400", "Для полиса старого образца (pcyType С) укажите номер полиса (pcyNum)", f"{path}/pcyNum", None)
        )
    elif kind in TEMPORARY and pcy["tmpcert"] is None:
        errors.append(
            (
                "400",
                "Для временного свидетельства (pcyType В, Е) укажите номер (tmpcertNum)",
                f"{path}/tmpcertNum",
                None,
            )
        )
    elif kind in (None, "П", "Э", "К", "Ц") and enp is None:
        errors.append(("400", "Укажите ЕНП (enp)", f"{path}/enp", None))


# ---------------- building ----------------


def _el(parent: etree._Element, tag: str, value: object = None) -> etree._Element:
    el = etree.SubElement(parent, tag)
    if value is not None:
        el.text = value if isinstance(value, str) else value.isoformat() if isinstance(value, date) else str(value)
    return el


def _opt(parent: etree._Element, tag: str, value: object) -> None:
    if value is not None:
        _el(parent, tag, value)


def _envelope() -> tuple[etree._Element, etree._Element]:
    env = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP})
    etree.SubElement(env, f"{{{SOAP}}}Header")
    return env, etree.SubElement(env, f"{{{SOAP}}}Body")


def _response(body: etree._Element, operation: str, external_id: str, api: FerzlApi) -> etree._Element:
    resp = etree.SubElement(body, api.t(f"{operation}Response"), nsmap={"ns2": api.common, "ns3": api.types})
    _el(resp, api.c("externalRequestId"), external_id)
    return resp


def _bytes(env: etree._Element) -> bytes:
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def add_errors(resp: etree._Element, errors: Iterable[Sequence[str | None]], api: FerzlApi = DEFAULT) -> None:
    """errors/errorItem elements into a response; errors: [(code, message[, tag[, value]])]."""
    items = _el(resp, api.c("errors"))
    for code, message, *rest in errors:
        item = _el(items, api.c("errorItem"))
        _el(item, api.c("code"), code)
        _el(item, api.c("message"), message)
        tag, value = (list(rest) + [None, None])[:2]
        _opt(item, api.c("tag"), tag)
        _opt(item, api.c("value"), value)


def error_response(
    operation: str, external_id: str, errors: Iterable[Sequence[str | None]], api: FerzlApi = DEFAULT
) -> bytes:
    """A response with errors/errorItem and nothing else."""
    env, body = _envelope()
    add_errors(_response(body, operation, external_id, api), errors, api)
    return _bytes(env)


def fault(message: str, code: str = "Client") -> bytes:
    """A SOAP 1.1 Fault (faultcode soap:Client or soap:Server)."""
    env, body = _envelope()
    f = _el(body, f"{{{SOAP}}}Fault")
    _el(f, "faultcode", f"soap:{code}")
    _el(f, "faultstring", message)
    return _bytes(env)


def respond(register: Register, call: Call, today: date, api: FerzlApi = DEFAULT) -> bytes:
    """The HTTP 200 body for a parsed call, looked up in the register as of call.dt (or today)."""
    if call.errors:
        return error_response(call.operation, call.external_id, call.errors, api)
    try:
        person = register.find(call.query)
    except Conflict:
        return error_response(call.operation, call.external_id, [CONFLICT], api)
    if person is None:
        return error_response(call.operation, call.external_id, [NOT_FOUND], api)
    dt = call.dt or today
    if call.operation == "getInsuranceStatus":
        return _insurance_status(call, person, dt, api)
    env, body = _envelope()
    resp = _response(body, call.operation, call.external_id, api)
    _person_data(_el(resp, api.t("pd")), person, dt, call.show, api)
    return _bytes(env)


def _insurance_status(call: Call, person: Person, dt: date, api: FerzlApi) -> bytes:
    policy = person.policy_on(dt)
    if policy is None:
        return error_response(
            call.operation,
            call.external_id,
            [("409", f"Нет сведений о полисе ОМС на дату {dt.strftime('%d.%m.%Y')}")],
            api,
        )
    env, body = _envelope()
    status, date_e = policy.on(dt)
    st = _el(_response(body, call.operation, call.external_id, api), api.t("status"))
    initials = "".join(f"{part[0]}." for part in (person.first_name, person.patronymic) if part)
    _el(st, api.t("oip"), person.oip)
    _el(st, api.t("fio"), f"{person.surname} {initials}")
    _el(st, api.t("birthDay"), person.birth_date)
    _el(st, api.t("gender"), person.sex)
    _el(st, api.t("policyType"), policy.type)
    _opt(st, api.t("policySer"), policy.series)
    _el(st, api.t("policyNumEnp"), policy.number or policy.enp)
    _el(st, api.t("policyStatus"), status)
    _el(st, api.t("smo"), policy.smo_code)
    _el(st, api.t("terr"), policy.okato)
    _el(st, api.t("policyValidFrom"), policy.date_b)
    _opt(st, api.t("policyValidTo"), date_e)
    return _bytes(env)


def _person_data(pd: etree._Element, person: Person, dt: date, show: Sequence[str], api: FerzlApi) -> None:
    """PersonData children in schema order: oip, person, policy, dudl, attach, snils."""
    _el(pd, api.t("oip"), person.oip)
    if "Person" in show:
        item = _el(_el(pd, api.t("person")), api.t("personItems"))
        _el(item, api.t("surname"), person.surname)
        _opt(item, api.t("patronymic"), person.patronymic)
        _el(item, api.t("firstName"), person.first_name)
        _el(item, api.t("birthDay"), person.birth_date)
        _el(item, api.t("gender"), person.sex)
        _el(item, api.t("birthOksm"), "643")
        _opt(item, api.t("deathDate"), person.death_date)
        _el(item, api.t("dateEdit"), f"{max(p.date_b for p in person.policies).isoformat()}T09:00:00+03:00")
        _el(item, api.t("status"), "ДПП")
    policy = person.policy_on(dt)
    if "OmsPolicy" in show and policy is not None:
        _policy(_el(_el(pd, api.t("policy")), api.t("policyItems")), person, policy, dt, api)
    if "Dudl" in show and person.document.date_b <= dt:
        _document(_el(_el(pd, api.t("dudl")), api.t("dudlItems")), person, api)
    attachments = person.attachments_on(dt)
    if "Attach" in show and attachments:
        attach = _el(pd, api.t("attach"))
        for a in attachments:
            _attachment(_el(attach, api.t("attachItems")), a, dt, api)
    if "Snils" in show:
        item = _el(_el(pd, api.t("snils")), api.t("snilsItems"))
        _el(item, api.t("snils"), format_snils(person.snils))
        _el(item, api.t("dsource"), SOURCE)
        _el(item, api.t("dsourceType"), SOURCE_TYPE)
        _el(item, api.t("statusSnils"), "ДПП")


def _policy(item: etree._Element, person: Person, policy: Policy, dt: date, api: FerzlApi) -> None:
    """OmsPolicy: every child in the commonTypes namespace, in schema order."""
    status, date_e = policy.on(dt)
    name, ogrn = SMO[policy.smo_code]
    _opt(item, api.c("pcySer"), policy.series)
    _opt(item, api.c("pcyNum"), policy.number)
    _el(item, api.c("enp"), policy.enp)
    _el(item, api.c("pcyDateB"), policy.date_b)
    _opt(item, api.c("pcyDateE"), date_e)
    _el(item, api.c("pcyType"), policy.type)
    _el(item, api.c("pcyStatus"), status)
    _el(item, api.c("okato"), policy.okato)
    _el(item, api.c("dsource"), SOURCE)
    _el(item, api.c("dsourceType"), SOURCE_TYPE)
    _el(item, api.c("gender"), person.sex)
    _el(item, api.c("insurName"), name)
    _el(item, api.c("insurfName"), name)
    _el(item, api.c("insurOgrn"), ogrn)
    _el(item, api.c("insurfOgrn"), ogrn)
    _el(item, api.c("insurCode"), policy.smo_code)
    _el(item, api.c("insurfCode"), policy.smo_code)
    if policy.type in TEMPORARY:
        _el(item, api.c("tmpcertNum"), policy.tmpcert)
        _el(item, api.c("tmpcertDateB"), policy.date_b)
        _el(item, api.c("tmpcertDateE"), policy.date_e)
    _el(item, api.c("birthDay"), person.birth_date)


def _document(item: etree._Element, person: Person, api: FerzlApi) -> None:
    """PersonDocIdent: base fields in commonTypes, the extension's fields in the mpiPersonInfoSchema namespace."""
    doc = person.document
    _el(item, api.c("dudlSer"), doc.series)
    _el(item, api.c("dudlNum"), doc.number)
    _el(item, api.c("dudlDateB"), doc.date_b)
    _el(item, api.c("dudlType"), doc.type)
    _el(item, api.t("dsource"), SOURCE)
    _el(item, api.t("dsourceType"), SOURCE_TYPE)
    _el(item, api.t("dudlStatus"), "ДПП")
    _el(item, api.t("gender"), person.sex)


def _attachment(item: etree._Element, a: Attachment, dt: date, api: FerzlApi) -> None:
    status, date_e = a.on(dt)
    _el(item, api.c("areaType"), a.area_type)
    _el(item, api.c("attachMethod"), a.method)
    _el(item, api.c("dateAttachB"), a.date_b)
    _opt(item, api.c("dateAttachE"), date_e)
    _el(item, api.c("moCode"), a.mo_code)
    _el(item, api.c("dsource"), SOURCE)
    _el(item, api.c("dsourceType"), SOURCE_TYPE)
    _el(item, api.c("moOkato"), "46000")
    _el(item, api.c("attachStatus"), status)
    _el(item, api.c("depId"), "1")
