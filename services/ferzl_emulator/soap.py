"""The emulator's SOAP 1.1 wire format: parse requests and build responses with lxml.

Element names, namespaces and order follow the 24.2.6 contract (contracts/ferzl/).
Errors travel as errors/errorItem (code, message, tag, value) inside an HTTP 200 answer;
an envelope that cannot be read at all is answered with a SOAP Fault (HTTP 400).
"""

import re
from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from services.ferzl_emulator.ids import format_snils, luhn_ok, snils_ok
from services.ferzl_emulator.model import SMO, TEMPORARY
from services.ferzl_emulator.register import Conflict

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES = "http://ffoms.ru/types/24.2.6/mpiPersonInfoSchema"
COMMON = "http://ffoms.ru/types/24.2.6/commonTypes"

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


class BadEnvelope(Exception):
    """Not a SOAP request we can read: answered with a Fault, HTTP 400."""


@dataclass
class Call:
    operation: str  # getPersonData | getInsuranceStatus
    external_id: str
    query: dict = field(default_factory=dict)
    dt: date | None = None
    show: tuple = SHOW_NAMES
    errors: list = field(default_factory=list)  # [(code, message, tag, value)]


# ---------------- parsing ----------------


def _t(name):
    return f"{{{TYPES}}}{name}"


def _c(name):
    return f"{{{COMMON}}}{name}"


def _text(parent, tag):
    el = parent.find(tag) if parent is not None else None
    if el is None or el.text is None:
        return None
    return el.text.strip() or None


def _date(parent, tag, path, errors):
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


def parse(body: bytes) -> Call:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        raise BadEnvelope("Ошибка в формате запроса: XML не разобран") from None
    if root.tag != f"{{{SOAP}}}Envelope":
        raise BadEnvelope("Ошибка в формате запроса: ожидается конверт SOAP 1.1")
    soap_body = root.find(f"{{{SOAP}}}Body")
    payload = next(iter(soap_body.iterchildren(tag=etree.Element)), None) if soap_body is not None else None
    if payload is None or etree.QName(payload).namespace != TYPES or etree.QName(payload).localname not in OPERATIONS:
        raise BadEnvelope("Ошибка в формате запроса: неизвестная операция")
    call = Call(OPERATIONS[etree.QName(payload).localname], NIL_GUID)
    errors = call.errors

    external_id = _text(payload, _c("externalRequestId"))
    if external_id and GUID.fullmatch(external_id):
        call.external_id = external_id
    else:
        errors.append(
            ("400", "Идентификатор запроса externalRequestId должен быть GUID", "externalRequestId", external_id)
        )

    wrapper = "personDataSearchParams" if call.operation == "getPersonData" else "insuranceStatusSearchParams"
    params = payload.find(_t(wrapper))
    if params is None:
        errors.append(("400", f"Не указан элемент {wrapper}", wrapper, None))
        return call
    call.query = _search(params.find(_t("personSearchInfo")), f"{wrapper}/personSearchInfo", errors)
    call.dt = _date(params, _t("dt"), f"{wrapper}/dt", errors)
    if call.operation == "getPersonData":
        for key, tag in (("surname", "surname"), ("first_name", "firstName"), ("patronymic", "patronymic")):
            call.query[key] = _text(params, _t(tag))
        show = (_text(params, _t("show")) or "").split()
        wrong = [s for s in show if s not in SHOW_NAMES]
        if wrong:
            errors.append(("400", "Недопустимое значение show", f"{wrapper}/show", " ".join(wrong)))
        call.show = tuple(show) or SHOW_NAMES
    return call


def _search(info, path, errors):
    """personSearchInfo -> the register's query; problems go to errors as 400 items."""
    if info is None:
        errors.append(("400", "Не указан элемент personSearchInfo", path, None))
        return {}
    query = {"oip": _text(info, _t("oip")), "pcy": None, "dudl": None, "snils": None}
    if query["oip"] is not None and not re.fullmatch(r"\d{12}", query["oip"]):
        errors.append(("400", "ОИП должен состоять из 12 цифр", f"{path}/oip", query["oip"]))

    el = info.find(_t("pcy"))
    if el is not None:
        pcy = {
            "type": _text(el, _c("pcyType")),
            "enp": _text(el, _c("enp")),
            "series": _text(el, _c("pcySer")),
            "number": _text(el, _c("pcyNum")),
            "tmpcert": _text(el, _c("tmpcertNum")),
        }
        _check_pcy(pcy, f"{path}/pcy", errors)
        query["pcy"] = pcy

    el = info.find(_t("dudl"))
    if el is not None:
        dudl = {
            "type": _text(el, _c("dudlType")),
            "series": _text(el, _c("dudlSer")),
            "number": _text(el, _c("dudlNum")),
            "date_b": _date(el, _c("dudlDateB"), f"{path}/dudl/dudlDateB", errors),
        }
        if dudl["type"] is None:
            errors.append(("400", "Не указан тип ДУДЛ (dudlType)", f"{path}/dudl/dudlType", None))
        if dudl["number"] is None:
            errors.append(("400", "Не указан номер ДУДЛ (dudlNum)", f"{path}/dudl/dudlNum", None))
        query["dudl"] = dudl

    el = info.find(_t("snilsDr"))
    if el is not None:
        snils = _text(el, _t("snils"))
        birth = _date(el, _t("birthDay"), f"{path}/snilsDr/birthDay", errors)
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


def _check_pcy(pcy, path, errors):
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


def _el(parent, tag, value=None):
    el = etree.SubElement(parent, tag)
    if value is not None:
        el.text = value if isinstance(value, str) else value.isoformat() if isinstance(value, date) else str(value)
    return el


def _opt(parent, tag, value):
    if value is not None:
        _el(parent, tag, value)


def _envelope():
    env = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP})
    etree.SubElement(env, f"{{{SOAP}}}Header")
    return env, etree.SubElement(env, f"{{{SOAP}}}Body")


def _response(body, operation, external_id):
    resp = etree.SubElement(body, _t(f"{operation}Response"), nsmap={"ns2": COMMON, "ns3": TYPES})
    _el(resp, _c("externalRequestId"), external_id)
    return resp


def _bytes(env):
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def add_errors(resp, errors):
    """errors/errorItem elements into a response; errors: [(code, message[, tag[, value]])]."""
    items = _el(resp, _c("errors"))
    for code, message, *rest in errors:
        item = _el(items, _c("errorItem"))
        _el(item, _c("code"), code)
        _el(item, _c("message"), message)
        tag, value = (list(rest) + [None, None])[:2]
        _opt(item, _c("tag"), tag)
        _opt(item, _c("value"), value)


def error_response(operation, external_id, errors) -> bytes:
    """A response with errors/errorItem and nothing else."""
    env, body = _envelope()
    add_errors(_response(body, operation, external_id), errors)
    return _bytes(env)


def fault(message, code="Client") -> bytes:
    """A SOAP 1.1 Fault (faultcode soap:Client or soap:Server)."""
    env, body = _envelope()
    f = _el(body, f"{{{SOAP}}}Fault")
    _el(f, "faultcode", f"soap:{code}")
    _el(f, "faultstring", message)
    return _bytes(env)


def respond(register, call: Call, today: date) -> bytes:
    """The HTTP 200 body for a parsed call, looked up in the register as of call.dt (or today)."""
    if call.errors:
        return error_response(call.operation, call.external_id, call.errors)
    try:
        person = register.find(call.query)
    except Conflict:
        return error_response(call.operation, call.external_id, [CONFLICT])
    if person is None:
        return error_response(call.operation, call.external_id, [NOT_FOUND])
    dt = call.dt or today
    if call.operation == "getInsuranceStatus":
        return _insurance_status(call, person, dt)
    env, body = _envelope()
    resp = _response(body, call.operation, call.external_id)
    _person_data(_el(resp, _t("pd")), person, dt, call.show)
    return _bytes(env)


def _insurance_status(call, person, dt):
    policy = person.policy_on(dt)
    if policy is None:
        return error_response(
            call.operation, call.external_id, [("409", f"Нет сведений о полисе ОМС на дату {dt.strftime('%d.%m.%Y')}")]
        )
    env, body = _envelope()
    status, date_e = policy.on(dt)
    st = _el(_response(body, call.operation, call.external_id), _t("status"))
    initials = "".join(f"{part[0]}." for part in (person.first_name, person.patronymic) if part)
    _el(st, _t("oip"), person.oip)
    _el(st, _t("fio"), f"{person.surname} {initials}")
    _el(st, _t("birthDay"), person.birth_date)
    _el(st, _t("gender"), person.sex)
    _el(st, _t("policyType"), policy.type)
    _opt(st, _t("policySer"), policy.series)
    _el(st, _t("policyNumEnp"), policy.number or policy.enp)
    _el(st, _t("policyStatus"), status)
    _el(st, _t("smo"), policy.smo_code)
    _el(st, _t("terr"), policy.okato)
    _el(st, _t("policyValidFrom"), policy.date_b)
    _opt(st, _t("policyValidTo"), date_e)
    return _bytes(env)


def _person_data(pd, person, dt, show):
    """PersonData children in schema order: oip, person, policy, dudl, attach, snils."""
    _el(pd, _t("oip"), person.oip)
    if "Person" in show:
        item = _el(_el(pd, _t("person")), _t("personItems"))
        _el(item, _t("surname"), person.surname)
        _opt(item, _t("patronymic"), person.patronymic)
        _el(item, _t("firstName"), person.first_name)
        _el(item, _t("birthDay"), person.birth_date)
        _el(item, _t("gender"), person.sex)
        _el(item, _t("birthOksm"), "643")
        _opt(item, _t("deathDate"), person.death_date)
        _el(item, _t("dateEdit"), f"{max(p.date_b for p in person.policies).isoformat()}T09:00:00+03:00")
        _el(item, _t("status"), "ДПП")
    policy = person.policy_on(dt)
    if "OmsPolicy" in show and policy is not None:
        _policy(_el(_el(pd, _t("policy")), _t("policyItems")), person, policy, dt)
    if "Dudl" in show and person.document.date_b <= dt:
        _document(_el(_el(pd, _t("dudl")), _t("dudlItems")), person)
    attachments = person.attachments_on(dt)
    if "Attach" in show and attachments:
        attach = _el(pd, _t("attach"))
        for a in attachments:
            _attachment(_el(attach, _t("attachItems")), a, dt)
    if "Snils" in show:
        item = _el(_el(pd, _t("snils")), _t("snilsItems"))
        _el(item, _t("snils"), format_snils(person.snils))
        _el(item, _t("dsource"), SOURCE)
        _el(item, _t("dsourceType"), SOURCE_TYPE)
        _el(item, _t("statusSnils"), "ДПП")


def _policy(item, person, policy, dt):
    """OmsPolicy: every child in the commonTypes namespace, in schema order."""
    status, date_e = policy.on(dt)
    name, ogrn = SMO[policy.smo_code]
    _opt(item, _c("pcySer"), policy.series)
    _opt(item, _c("pcyNum"), policy.number)
    _el(item, _c("enp"), policy.enp)
    _el(item, _c("pcyDateB"), policy.date_b)
    _opt(item, _c("pcyDateE"), date_e)
    _el(item, _c("pcyType"), policy.type)
    _el(item, _c("pcyStatus"), status)
    _el(item, _c("okato"), policy.okato)
    _el(item, _c("dsource"), SOURCE)
    _el(item, _c("dsourceType"), SOURCE_TYPE)
    _el(item, _c("gender"), person.sex)
    _el(item, _c("insurName"), name)
    _el(item, _c("insurfName"), name)
    _el(item, _c("insurOgrn"), ogrn)
    _el(item, _c("insurfOgrn"), ogrn)
    _el(item, _c("insurCode"), policy.smo_code)
    _el(item, _c("insurfCode"), policy.smo_code)
    if policy.type in TEMPORARY:
        _el(item, _c("tmpcertNum"), policy.tmpcert)
        _el(item, _c("tmpcertDateB"), policy.date_b)
        _el(item, _c("tmpcertDateE"), policy.date_e)
    _el(item, _c("birthDay"), person.birth_date)


def _document(item, person):
    """PersonDocIdent: base fields in commonTypes, the extension's fields in the mpiPersonInfoSchema namespace."""
    doc = person.document
    _el(item, _c("dudlSer"), doc.series)
    _el(item, _c("dudlNum"), doc.number)
    _el(item, _c("dudlDateB"), doc.date_b)
    _el(item, _c("dudlType"), doc.type)
    _el(item, _t("dsource"), SOURCE)
    _el(item, _t("dsourceType"), SOURCE_TYPE)
    _el(item, _t("dudlStatus"), "ДПП")
    _el(item, _t("gender"), person.sex)


def _attachment(item, a, dt):
    status, date_e = a.on(dt)
    _el(item, _c("areaType"), a.area_type)
    _el(item, _c("attachMethod"), a.method)
    _el(item, _c("dateAttachB"), a.date_b)
    _opt(item, _c("dateAttachE"), date_e)
    _el(item, _c("moCode"), a.mo_code)
    _el(item, _c("dsource"), SOURCE)
    _el(item, _c("dsourceType"), SOURCE_TYPE)
    _el(item, _c("moOkato"), "46000")
    _el(item, _c("attachStatus"), status)
    _el(item, _c("depId"), "1")
