"""getPersonData without zeep on the hot path: the envelope written directly, the answer read with lxml,
HTTP/1.1 over a kept-alive socket.

Why: zeep costs about 1.7 ms of CPU per call on the 2-core test machine (requests ~0.7 ms, zeep's
parsing and object building ~0.7 ms, the envelope ~0.1 ms); this path costs about 0.2 ms (see
docs/benchmarks.md). The contract is unchanged: zeep still loads the WSDL (FerzlClient), serves the
async service and every other call, and the tests check that both paths send the same envelope and
read the same answer (tests/unit/test_bridge_fast.py, tests/contract). Element names, namespaces and
order follow contracts/ferzl/xsd; the answer is read into the same plain dict zeep's
serialize_object makes, and mapping.answer_from_response does the rest.
"""
import re
import socket
import ssl
import time
from urllib.parse import urlsplit

from lxml import etree

from services.ferzl_bridge import mapping
from services.ferzl_bridge.errors import FerzlAuthError, FerzlRejected, FerzlUnavailable

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES = "http://ffoms.ru/types/24.2.6/mpiPersonInfoSchema"
COMMON = "http://ffoms.ru/types/24.2.6/commonTypes"
ACTION = '"http://ffoms.ru/services/tfoms/getPersonData"'
AUTH_MESSAGES = {"401": "ФЕРЗЛ отклонил токен доступа (ошибка аутентификации)",
                 "403": "Нет прав на вызов метода ФЕРЗЛ (ошибка доступа к ресурсу)"}

# (element, namespace prefix) in schema order; t: mpiPersonInfoSchema, c: commonTypes
SEARCH_PARAMS = (("personSearchInfo", "t"), ("surname", "t"), ("firstName", "t"), ("patronymic", "t"),
                 ("show", "t"), ("dt", "t"))
SEARCH_INFO = (("oip", "t"), ("pcy", "t"), ("dudl", "t"), ("snilsDr", "t"))
CHILDREN = {
    "personSearchInfo": SEARCH_INFO,
    "pcy": (("pcyType", "c"), ("enp", "c"), ("pcySer", "c"), ("pcyNum", "c"), ("tmpcertNum", "c")),
    "dudl": (("dudlSer", "c"), ("dudlNum", "c"), ("dudlType", "c"), ("dudlDateB", "c")),
    "snilsDr": (("snils", "t"), ("birthDay", "t")),
}
# PersonData entities read as lists of flat items: entity -> item element
LISTS = {"person": "personItems", "policy": "policyItems", "attach": "attachItems", "dudl": "dudlItems",
         "snils": "snilsItems"}
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _text(value):
    if isinstance(value, (list, tuple)):
        value = " ".join(value)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    value = str(value)
    if value.isalnum() or value.isdigit():  # identifiers, most values: nothing to escape or drop
        return value
    value = NOT_XML.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _elements(values, order, out):
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


def envelope(request: dict) -> bytes:
    """The SOAP 1.1 envelope for mapping.build_request's dict, as zeep would send it."""
    out = [f'<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope xmlns:soap-env="{SOAP}"><soap-env:Body>'
           f'<t:getPersonDataRequest xmlns:t="{TYPES}" xmlns:c="{COMMON}">'
           f'<c:externalRequestId>{_text(request["externalRequestId"])}</c:externalRequestId>'
           f'<t:personDataSearchParams>']
    _elements(request["personDataSearchParams"], SEARCH_PARAMS, out)
    out.append("</t:personDataSearchParams></t:getPersonDataRequest></soap-env:Body></soap-env:Envelope>")
    return "".join(out).encode("utf-8")


_LOCAL = {}  # "{namespace}name" -> "name": answers use a few dozen tags


def _local(tag):
    name = _LOCAL.get(tag)
    if name is None:
        name = tag.rpartition("}")[2]
        if len(_LOCAL) < 1000:  # bounded, whatever a server sends
            _LOCAL[tag] = name
    return name


def _text_of(el):
    text = el.text
    return (text.strip() or None) if text else None


def _leaves(el):
    """A flat entity (errorItem, policyItems, attachItems, personItems ...) as a dict by local name."""
    return {_LOCAL.get(c.tag) or _local(c.tag): _text_of(c) for c in el if isinstance(c.tag, str)}


def _pd(el):
    """PersonData as zeep's serialize_object gives it, for the entities ОЗСП reads (others are opaque)."""
    out = {}
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


def read_response(content: bytes) -> dict:
    """getPersonDataResponse -> {"externalRequestId", "errors": {"errorItem": [...]}, "pd": {...}};
    a SOAP Fault raises a FerzlError."""
    try:
        root = etree.fromstring(content, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        raise FerzlUnavailable("transport", "Ответ ФЕРЗЛ не разобран: XMLSyntaxError")
    body = root.find(f"{{{SOAP}}}Body")
    payload = next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    if payload is None:
        raise FerzlUnavailable("transport", "Ответ ФЕРЗЛ не разобран: нет тела SOAP")
    if payload.tag == f"{{{SOAP}}}Fault":
        code, message = payload.findtext("faultcode") or "", (payload.findtext("faultstring") or "").strip()
        kind = FerzlRejected if "client" in code.lower() else FerzlUnavailable
        raise kind("fault", message or "SOAP Fault")
    out = {}
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


def fault_text(content):
    try:
        root = etree.fromstring(content, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    found = root.find(".//faultstring")
    return found.text.strip() if found is not None and found.text else None


class Closed(ConnectionError):
    """The server closed the connection before a whole answer arrived."""


class Connection:
    """One keep-alive HTTP/1.1 connection: just what a SOAP POST needs (Content-Length or chunked answers).

    http.client parses every header block with the email package, which costs more CPU per call than
    the whole exchange here; this is the hot path of the bridge."""

    MAX_HEAD, MAX_BODY = 64 * 1024, 64 * 1024 * 1024

    def __init__(self, host, port, timeout, context=None):
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = context.wrap_socket(sock, server_hostname=host) if context else sock
        self.buffer = b""
        self.used = False

    def exchange(self, request):
        """Send one request (head and body bytes); -> (status, body, keep_alive)."""
        self.sock.sendall(request)
        self.used = True
        while True:
            head = self._until(b"\r\n\r\n", self.MAX_HEAD)
            lines = head.split(b"\r\n")
            version, _, rest = lines[0].partition(b" ")
            status = int(rest[:3])
            if status >= 200:
                break  # 1xx: an interim answer, the real one follows
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        keep = version == b"HTTP/1.1" and b"close" not in headers.get(b"connection", b"").lower()
        if status in (204, 304):
            body = b""
        elif b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            body = self._chunked()
        elif b"content-length" in headers:
            body = self._exactly(int(headers[b"content-length"]))
        else:
            body, keep = self._to_close(), False
        return status, body, keep

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed("connection closed by the server")
        return data

    def _until(self, marker, limit):
        while marker not in self.buffer:
            if len(self.buffer) > limit:
                raise Closed("HTTP header too long")
            self.buffer += self._recv()
        found, _, self.buffer = self.buffer.partition(marker)
        return found

    def _exactly(self, size):
        if size > self.MAX_BODY:
            raise Closed("HTTP body too long")
        while len(self.buffer) < size:
            self.buffer += self._recv()
        found, self.buffer = self.buffer[:size], self.buffer[size:]
        return found

    def _chunked(self):
        parts, total = [], 0
        while True:
            size = int(self._until(b"\r\n", 1024).split(b";")[0], 16)
            if size == 0:
                while self._until(b"\r\n", self.MAX_HEAD):  # trailers, up to an empty line
                    pass
                return b"".join(parts)
            total += size
            parts.append(self._exactly(size) if total <= self.MAX_BODY else self._exactly(self.MAX_BODY + 1))
            self._exactly(2)

    def _to_close(self):
        parts = [self.buffer]
        self.buffer = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return b"".join(parts)
            parts.append(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Connections:
    """A small pool of kept-alive connections (green under eventlet monkey patching)."""

    def __init__(self, url, timeout, size=100, context=None):
        parts = urlsplit(url)
        https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or (443 if https else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.context = context if context is not None else (ssl.create_default_context() if https else None)
        self.timeout, self.size = timeout, size
        self.idle = []

    def head(self, headers, length):
        lines = [f"POST {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 *(f"{k}: {v}" for k, v in headers.items()), f"Content-Length: {length}", "", ""]
        return "\r\n".join(lines).encode("latin-1")

    def post(self, body, headers):
        """-> (status, body bytes). Raises OSError (the connection is then dropped)."""
        request = self.head(headers, len(body)) + body
        for attempt in (0, 1):
            conn = self.idle.pop() if self.idle else Connection(self.host, self.port, self.timeout, self.context)
            reused = conn.used
            try:
                status, data, keep = conn.exchange(request)
            except (Closed, BrokenPipeError, ConnectionResetError):
                conn.close()
                if reused and attempt == 0:
                    continue  # a kept-alive connection the server had closed: once more on a new one
                raise
            except BaseException:
                conn.close()
                raise
            if keep and len(self.idle) < self.size:
                self.idle.append(conn)
            else:
                conn.close()
            return status, data


class FastClient:
    """get_person_data like FerzlClient's, without zeep."""

    def __init__(self, url, token, timeout=30, pool_size=100, context=None):
        self.url = url
        self.connections = Connections(url, timeout, pool_size, context)
        if any(c in str(token) for c in "\r\n"):
            raise ValueError("FERZL_TOKEN must be one line")
        self.headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ACTION, "X-Auth-Token": token}

    def exchange(self, body, capture=None):
        """POST one envelope -> the response body of an HTTP 200; HTTP failures become FerzlErrors."""
        started = time.monotonic()
        status, data = None, None
        try:
            status, data = self.connections.post(body, self.headers)
        except TimeoutError:
            raise FerzlUnavailable("timeout", "ФЕРЗЛ не ответил за отведённое время")
        except (OSError, ValueError, IndexError):  # no connection, or not an HTTP answer
            raise FerzlUnavailable("connection", "Нет соединения с ФЕРЗЛ")
        finally:
            if capture is not None:
                capture.add(body, data, status, (time.monotonic() - started) * 1000)
        code = str(status)
        if code in AUTH_MESSAGES:
            raise FerzlAuthError(code, AUTH_MESSAGES[code])
        if code in ("400", "409"):
            raise FerzlRejected(code, fault_text(data) or "Ошибка в формате запроса")
        if code != "200":
            raise FerzlUnavailable(code, f"ФЕРЗЛ ответил HTTP {code}")
        return data

    def get_person_data(self, params: dict, external_id: str, capture=None) -> dict:
        body = envelope(mapping.build_request(params, external_id))
        response = read_response(self.exchange(body, capture))
        return mapping.answer_from_response(response, params.get("birth_date"))
