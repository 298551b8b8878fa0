"""getMassInsuranceStatusStart / getMassInsuranceStatusPoll of the emulator (mpiAsyncOperationsService).

Start takes up to 1000 persons (ЕНП or ОИП, optional dt) and answers an opToken; the result is built
at once and becomes ready after the `mass_delay_ms` knob. Poll answers processingStatus and, when
ready, the zip as an MTOM (XOP) attachment. The zip holds one XML document, `Items/item`, in the
structure of the description v5.07 («Параметры ответа - структура XML-файла»): person, policy,
attachItems. Choices the description leaves open (ours, see contracts/ferzl/README.md): one `item`
per request, in request order, empty for nobody; processingStatus words «готов», «в обработке»,
«ошибка»; pcySerNum is «серия номер» for С, the certificate number for В/Е, the ЕНП otherwise.
"""

import io
import re
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from services.ferzl_emulator.model import TEMPORARY, Person, Policy
from services.ferzl_emulator.register import Register
from services.ferzl_emulator.soap import (
    GUID,
    NIL_GUID,
    SOAP,
    XS_DATE,
    ErrorItem,
    _bytes,
    _el,
    _envelope,
    _opt,
    _text,
    add_errors,
)
from shared.ferzl_api import DEFAULT, FerzlApi

ASYNC = DEFAULT.async_types  # of the default version
XOP = "http://www.w3.org/2004/08/xop/include"
OPERATIONS = {
    "getMassInsuranceStatusStartRequest": "getMassInsuranceStatusStart",
    "getMassInsuranceStatusPollRequest": "getMassInsuranceStatusPoll",
}
MAX_PERSONS = 1000
READY, RUNNING, FAILED = "готов", "в обработке", "ошибка"
RESULT_NAME = "massInsuranceStatus.xml"
JOB_TTL = 600.0  # seconds a result stays available
MAX_JOBS = 64  # and at most this many (about 10 MB of zips): memory stays flat under a long run

Request = tuple[date | None, str | None, str | None]  # (dt, enp, oip) of one person
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


class BadEnvelope(Exception):
    """Not a request of this service: answered with a SOAP Fault, HTTP 400."""


@dataclass
class Call:
    operation: str
    external_id: str
    requests: list[Request] = field(default_factory=list)
    op_token: str | None = None
    errors: list[ErrorItem] = field(default_factory=list)


def parse(body: bytes, api: FerzlApi = DEFAULT) -> Call:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        raise BadEnvelope("Ошибка в формате запроса: XML не разобран") from None
    soap_body = root.find(f"{{{SOAP}}}Body") if root.tag == f"{{{SOAP}}}Envelope" else None
    payload = next(iter(soap_body.iterchildren(tag=etree.Element)), None) if soap_body is not None else None
    qname = etree.QName(payload) if payload is not None else None
    if payload is None or qname is None or qname.namespace != api.async_types or qname.localname not in OPERATIONS:
        raise BadEnvelope("Ошибка в формате запроса: неизвестная операция")
    call = Call(OPERATIONS[qname.localname], NIL_GUID)
    external_id = _text(payload, api.c("externalRequestId"))
    if external_id and GUID.fullmatch(external_id):
        call.external_id = external_id
    else:
        call.errors.append(
            ("400", "Идентификатор запроса externalRequestId должен быть GUID", "externalRequestId", external_id)
        )
    if call.operation == "getMassInsuranceStatusPoll":
        call.op_token = _text(payload, api.c("opToken"))
        if not call.op_token:
            call.errors.append(("400", "Не указан токен операции (opToken)", "opToken", None))
        return call
    items = payload.findall(api.a("requests"))
    if not items:
        call.errors.append(("400", "Не указан список персон (requests)", "requests", None))
    if len(items) > MAX_PERSONS:
        call.errors.append(("400", f"Не более {MAX_PERSONS} персон в запросе", "requests", str(len(items))))
    for n, item in enumerate(items):
        dt_raw, enp, oip = _text(item, api.a("dt")), _text(item, api.a("enp")), _text(item, api.a("oip"))
        dt = None
        if dt_raw:
            m = XS_DATE.fullmatch(dt_raw)
            try:
                dt = date.fromisoformat(m.group(1)) if m else None
            except ValueError:
                dt = None
            if dt is None:
                call.errors.append(("400", "Неверный формат даты, ожидается ГГГГ-ММ-ДД", f"requests[{n}]/dt", dt_raw))
        if not enp and not oip:
            call.errors.append(("400", "Укажите ЕНП (enp) или ОИП (oip)", f"requests[{n}]", None))
        if enp and not re.fullmatch(r"\d{16}", enp):
            call.errors.append(("400", "ЕНП должен состоять из 16 цифр", f"requests[{n}]/enp", enp))
        if oip and not re.fullmatch(r"\d{12}", oip):
            call.errors.append(("400", "ОИП должен состоять из 12 цифр", f"requests[{n}]/oip", oip))
        call.requests.append((dt, enp, oip))
    return call


# ---------------- the result document ----------------


def _find(register: Register, enp: str | None, oip: str | None) -> Person | None:
    """The person both identifiers name (each given one must match), else None."""
    by_enp = register.by_enp(enp) if enp else None
    by_oip = register.by_oip(oip) if oip else None
    if enp and oip:
        return by_enp if by_enp is not None and by_oip is not None and by_enp.index == by_oip.index else None
    return by_enp or by_oip


def _ser_num(policy: Policy) -> str | None:
    if policy.type == "С":
        return f"{policy.series} {policy.number}" if policy.series else policy.number
    if policy.type in TEMPORARY:
        return policy.tmpcert
    return policy.enp


def items_xml(register: Register, requests: Iterable[Request], today: date) -> bytes:
    """Items/item for every request, in order; nobody found -> an empty item."""
    root = etree.Element("Items")
    for dt, enp, oip in requests:
        item = etree.SubElement(root, "item")
        person = _find(register, enp, oip)
        if person is None:
            continue
        on = dt or today
        p = etree.SubElement(item, "person")
        _el(p, "birthday", person.birth_date)
        _el(p, "gender", str(person.sex))
        _el(p, "oip", person.oip)
        _el(p, "personStatus", "ДПП")
        policy = person.policy_on(on)
        if policy is not None:
            status, date_e = policy.on(on)
            pol = etree.SubElement(item, "policy")
            _el(pol, "pcyType", policy.type)
            _opt(pol, "pcySerNum", _ser_num(policy))
            _el(pol, "pcyStatus", status)
            _el(pol, "enp", policy.enp)
            _el(pol, "pcyDateB", policy.date_b)
            _opt(pol, "pcyDateE", date_e)
            _el(pol, "okato", policy.okato)
            _el(pol, "insurfCode", policy.smo_code)
        for a in person.attachments_on(on):
            status, date_e = a.on(on)
            att = etree.SubElement(item, "attachItems")
            _el(att, "areaType", a.area_type)
            _el(att, "dateAttachB", a.date_b)
            _opt(att, "dateAttachE", date_e)
            _el(att, "moCode", a.mo_code)
            _el(att, "moOkato", "46000")
            _el(att, "attachStatus", status)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def zipped(xml: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(RESULT_NAME, xml)
    return buffer.getvalue()


# ---------------- SOAP answers ----------------


def _response(operation: str, external_id: str, api: FerzlApi) -> tuple[etree._Element, etree._Element]:
    env, body = _envelope()
    resp = etree.SubElement(body, api.a(f"{operation}Response"), nsmap={"ns2": api.common, "ns4": api.async_types})
    _el(resp, api.c("externalRequestId"), external_id)
    return env, resp


def start_response(
    external_id: str, op_token: str | None = None, errors: Sequence[ErrorItem] = (), api: FerzlApi = DEFAULT
) -> bytes:
    env, resp = _response("getMassInsuranceStatusStart", external_id, api)
    if errors:
        add_errors(resp, errors, api)
    _opt(resp, api.c("opToken"), op_token)
    return _bytes(env)


def poll_response(
    external_id: str,
    op_token: str | None,
    status: str,
    content_id: str | None = None,
    errors: Sequence[ErrorItem] = (),
    api: FerzlApi = DEFAULT,
) -> bytes:
    """processingStatus and, when content_id is given, an xop:Include pointing at the zip part."""
    env, resp = _response("getMassInsuranceStatusPoll", external_id, api)
    if errors:
        add_errors(resp, errors, api)
    _opt(resp, api.c("opToken"), op_token)
    _el(resp, api.c("processingStatus"), status)
    if content_id:
        content = _el(resp, api.a("content"))
        etree.SubElement(content, f"{{{XOP}}}Include", nsmap={"xop": XOP}, href=f"cid:{content_id}")
    return _bytes(env)


def mtom(envelope: bytes, content_id: str, attachment: bytes) -> tuple[bytes, str]:
    """(body, Content-Type) of a multipart/related MTOM message: the envelope, then the zip."""
    boundary = f"uuid:{uuid.uuid4()}"
    root_id = "<root.message@ozsp.emulator>"
    head = (
        f'--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\n'
        f"Content-Transfer-Encoding: binary\r\nContent-ID: {root_id}\r\n\r\n"
    ).encode()
    part = (
        f"\r\n--{boundary}\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n"
        f"Content-ID: <{content_id}>\r\n\r\n"
    ).encode()
    body = head + envelope + part + attachment + f"\r\n--{boundary}--\r\n".encode()
    content_type = (
        f'multipart/related; type="application/xop+xml"; boundary="{boundary}"; '
        f'start="{root_id}"; start-info="text/xml"'
    )
    return body, content_type


# ---------------- operations in progress ----------------


@dataclass
class Job:
    ready_at: float
    content: bytes | None  # the zip; None when the job ends in «ошибка»
    created: float


class Jobs:
    """opToken -> Job, kept JOB_TTL seconds (at most MAX_JOBS): a repeated Poll gets the same result."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.jobs: dict[str, Job] = {}

    def add(self, content: bytes, delay_s: float, failed: bool = False) -> str:
        self._expire()
        token = str(uuid.uuid4())
        now = self.clock()
        self.jobs[token] = Job(now + delay_s, None if failed else content, now)
        return token

    def get(self, token: str | None) -> Job | None:
        self._expire()
        return self.jobs.get(token) if token else None

    def ready(self, job: Job) -> bool:
        return self.clock() >= job.ready_at

    def _expire(self) -> None:
        now = self.clock()
        for token in [t for t, j in self.jobs.items() if now - j.created > JOB_TTL]:
            del self.jobs[token]
        while len(self.jobs) > MAX_JOBS:
            del self.jobs[next(iter(self.jobs))]

    def clear(self) -> None:
        self.jobs.clear()
