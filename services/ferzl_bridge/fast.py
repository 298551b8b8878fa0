"""getPersonData without zeep on the hot path: the envelope written directly, the answer read with lxml,
HTTP/1.1 over kept-alive sockets (connections.py, shared with zeep's calls).

Why: zeep costs about 1.7 ms of CPU per call on the 2-core test machine (requests ~0.7 ms, zeep's
parsing and object building ~0.7 ms, the envelope ~0.1 ms); this path costs about 0.2 ms (see
docs/benchmarks.md). The contract is unchanged: zeep still loads the WSDL (FerzlClient), serves the
async service and every other call, and the tests check that both paths send the same envelope and
read the same answer (tests/unit/test_bridge_fast.py, tests/contract). Element names and order follow
contracts/ferzl/xsd, the namespaces are those of FERZL_API_VERSION (shared.ferzl_api); the answer is read into the same plain dict zeep's
serialize_object makes, and mapping.answer_from_response does the rest.
"""

import re
import ssl
from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree

from services.ferzl_bridge import mapping
from services.ferzl_bridge.archive import Capture
from services.ferzl_bridge.connections import IDLE_SECONDS, Connections, one_line, send
from services.ferzl_bridge.errors import FerzlAuthError, FerzlRejected, FerzlUnavailable
from shared import ferzl_api
from shared.config import Settings
from shared.domain import Answer

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES, COMMON = ferzl_api.DEFAULT.types, ferzl_api.DEFAULT.common  # of the default version
ACTION = '"http://ffoms.ru/services/tfoms/getPersonData"'
AUTH_MESSAGES = {
    "401": "ФЕРЗЛ отклонил токен доступа (ошибка аутентификации)",
    "403": "Нет прав на вызов метода ФЕРЗЛ (ошибка доступа к ресурсу)",
}

# (element, namespace prefix) in schema order; t: mpiPersonInfoSchema, c: commonTypes
SEARCH_PARAMS = (
    ("personSearchInfo", "t"),
    ("surname", "t"),
    ("firstName", "t"),
    ("patronymic", "t"),
    ("show", "t"),
    ("dt", "t"),
)
SEARCH_INFO = (("oip", "t"), ("pcy", "t"), ("dudl", "t"), ("snilsDr", "t"))
CHILDREN = {
    "personSearchInfo": SEARCH_INFO,
    "pcy": (("pcyType", "c"), ("enp", "c"), ("pcySer", "c"), ("pcyNum", "c"), ("tmpcertNum", "c")),
    "dudl": (("dudlSer", "c"), ("dudlNum", "c"), ("dudlType", "c"), ("dudlDateB", "c")),
    "snilsDr": (("snils", "t"), ("birthDay", "t")),
}
# PersonData entities read as lists of flat items: entity -> item element
LISTS = {
    "person": "personItems",
    "policy": "policyItems",
    "attach": "attachItems",
    "dudl": "dudlItems",
    "snils": "snilsItems",
}
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        value = " ".join(value)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    value = str(value)
    if value.isalnum() or value.isdigit():  # identifiers, most values: nothing to escape or drop
        return value
    value = NOT_XML.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _elements(values: Mapping[str, Any], order: Iterable[tuple[str, str]], out: list[str]) -> None:
    for name, ns in order:
        value = values.get(name)
        if value is None or value == "":
            continue
        out.append(f"<{ns}:{name}>")
        if name in CHILDREN:
            _elements(value, CHILDREN[name], out)
        else:
            out.append(_text(value))
        out.append(f"</{ns}:{name}>")


def envelope(request: dict[str, Any], api: ferzl_api.FerzlApi = ferzl_api.DEFAULT) -> bytes:
    """The SOAP 1.1 envelope for mapping.build_request's dict, as zeep would send it, in api's namespaces."""
    out = [
        f'<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope xmlns:soap-env="{SOAP}"><soap-env:Body>'
        f'<t:getPersonDataRequest xmlns:t="{api.types}" xmlns:c="{api.common}">'
        f"<c:externalRequestId>{_text(request['externalRequestId'])}</c:externalRequestId>"
        f"<t:personDataSearchParams>"
    ]
    _elements(request["personDataSearchParams"], SEARCH_PARAMS, out)
    out.append("</t:personDataSearchParams></t:getPersonDataRequest></soap-env:Body></soap-env:Envelope>")
    return "".join(out).encode("utf-8")


_LOCAL: dict[str, str] = {}  # "{namespace}name" -> "name": answers use a few dozen tags


def _local(tag: str) -> str:
    name = _LOCAL.get(tag)
    if name is None:
        name = tag.rpartition("}")[2]
        if len(_LOCAL) < 1000:  # bounded, whatever a server sends
            _LOCAL[tag] = name
    return name


def _text_of(el: etree._Element) -> str | None:
    text = el.text
    return (text.strip() or None) if text else None


def _leaves(el: etree._Element) -> dict[str, str | None]:
    """A flat entity (errorItem, policyItems, attachItems, personItems ...) as a dict by local name."""
    return {_LOCAL.get(c.tag) or _local(c.tag): _text_of(c) for c in el if isinstance(c.tag, str)}


def _pd(el: etree._Element) -> dict[str, Any]:
    """PersonData as zeep's serialize_object gives it, for the entities ОЗСП reads (others are opaque)."""
    out: dict[str, Any] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = _LOCAL.get(child.tag) or _local(child.tag)
        items = LISTS.get(name)
        if items:
            out[name] = {items: [_leaves(i) for i in child if isinstance(i.tag, str)]}
        elif not len(child):
            out[name] = _text_of(child)
    return out


def read_response(content: bytes) -> dict[str, Any]:
    """getPersonDataResponse -> {"externalRequestId", "errors": {"errorItem": [...]}, "pd": {...}};
    a SOAP Fault raises a FerzlError."""
    try:
        root = etree.fromstring(content, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        raise FerzlUnavailable("transport", "Ответ ФЕРЗЛ не разобран: XMLSyntaxError") from None
    body = root.find(f"{{{SOAP}}}Body")
    payload = next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    if payload is None:
        raise FerzlUnavailable("transport", "Ответ ФЕРЗЛ не разобран: нет тела SOAP")
    if payload.tag == f"{{{SOAP}}}Fault":
        code, message = payload.findtext("faultcode") or "", (payload.findtext("faultstring") or "").strip()
        kind = FerzlRejected if "client" in code.lower() else FerzlUnavailable
        raise kind("fault", message or "SOAP Fault")
    out: dict[str, Any] = {}
    for child in payload:
        if not isinstance(child.tag, str):
            continue
        name = _LOCAL.get(child.tag) or _local(child.tag)
        if name == "errors":
            out["errors"] = {"errorItem": [_leaves(i) for i in child if isinstance(i.tag, str)]}
        elif name == "pd":
            out["pd"] = _pd(child)
        elif not len(child):
            out[name] = _text_of(child)
    return out


def fault_text(content: bytes) -> str | None:
    try:
        root = etree.fromstring(content, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    found = root.find(".//faultstring")
    return found.text.strip() if found is not None and found.text else None


class FastClient:
    """get_person_data like FerzlClient's, without zeep."""

    def __init__(
        self,
        url: str,
        token: str,
        timeout: float = Settings.ferzl_timeout,
        pool_size: int = 100,
        context: ssl.SSLContext | None = None,
        connect_timeout: float | None = None,
        idle_seconds: float = IDLE_SECONDS,
        api: ferzl_api.FerzlApi = ferzl_api.DEFAULT,
    ) -> None:
        self.url, self.api = url, api
        self.connections = Connections(url, timeout, pool_size, context, connect_timeout, idle_seconds)
        self.headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": ACTION,
            "X-Auth-Token": one_line(token, "FERZL_TOKEN"),
        }

    def exchange(self, body: bytes, capture: Capture | None = None) -> bytes:
        """POST one envelope -> the response body of an HTTP 200; HTTP failures become FerzlErrors. Each attempt
        (a stale kept-alive connection costs one more, see connections.py) goes into capture."""
        status, data, _ = send(self.connections, body, self.headers, capture)
        code = str(status)
        if code in AUTH_MESSAGES:
            raise FerzlAuthError(code, AUTH_MESSAGES[code])
        if code in ("400", "409"):
            raise FerzlRejected(code, fault_text(data) or "Ошибка в формате запроса")
        if code != "200":
            raise FerzlUnavailable(code, f"ФЕРЗЛ ответил HTTP {code}")
        return data

    def get_person_data(self, params: dict[str, Any], external_id: str, capture: Capture | None = None) -> Answer:
        body = envelope(mapping.build_request(params, external_id), self.api)
        response = read_response(self.exchange(body, capture))
        return mapping.answer_from_response(response, params)
