"""zeep clients of ФЕРЗЛ: built once per process, shared by many green threads.

The WSDL is our own contracts/ferzl file of FERZL_API_VERSION (shared.ferzl_api; ФЕРЗЛ is on a closed
network); the binding is pointed at the configured URL. The token goes in the X-Auth-Token header of every
call. Calls go over the bridge's own HTTP stack (connections.py), as the fast path's do. Nothing of a request
or an answer is logged: they hold personal data. A call may pass an archive.Capture: the transport then records the
raw exchanges (for the support archive, never for logs).
"""

import ssl
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from lxml import etree
from requests.structures import CaseInsensitiveDict
from zeep import Client, Settings
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError, ValidationError, XMLSyntaxError
from zeep.helpers import serialize_object
from zeep.transports import Transport

from services.ferzl_bridge import mapping
from services.ferzl_bridge.archive import Capture
from services.ferzl_bridge.connections import IDLE_SECONDS, Connections, one_line, send
from services.ferzl_bridge.errors import FerzlAuthError, FerzlError, FerzlRejected, FerzlUnavailable
from shared import config, ferzl_api
from shared.domain import Answer

T = TypeVar("T")
ASYNC_BINDING = ferzl_api.DEFAULT.async_binding  # of the default version; a client takes its FerzlApi's
AUTH_MESSAGES = {
    "401": "ФЕРЗЛ отклонил токен доступа (ошибка аутентификации)",
    "403": "Нет прав на вызов метода ФЕРЗЛ (ошибка доступа к ресурсу)",
}


class _Reply:
    """What zeep reads of an HTTP answer (as of a requests.Response)."""

    encoding = None

    def __init__(self, status: int, content: bytes, headers: Mapping[bytes, bytes]) -> None:
        self.status_code, self.content = status, content
        self.headers = CaseInsensitiveDict({k.decode("latin-1"): v.decode("latin-1") for k, v in headers.items()})


class _Transport(Transport):
    """Posts over the bridge's own HTTP stack (connections.py: a stale kept-alive connection is repeated on a
    new one, idle ones expire), without logging the body, and turns HTTP failures into our errors before zeep
    parses. zeep's requests session only loads the local WSDL."""

    def __init__(
        self,
        token: str,
        timeout: float,
        connect_timeout: float | None = None,
        idle_seconds: float = IDLE_SECONDS,
        pool_size: int = 20,
        verify: bool | str = True,
    ) -> None:
        super().__init__(timeout=timeout, operation_timeout=timeout)
        self.session.trust_env = False  # ФЕРЗЛ is on a closed network: no proxy or netrc from the environment
        self.local = threading.local()  # green-local under monkey patching: the capture of the current call
        self.token = one_line(token, "FERZL_TOKEN")
        self.options: dict[str, Any] = {
            "timeout": timeout,
            "size": pool_size,
            "connect_timeout": connect_timeout,
            "idle_seconds": idle_seconds,
        }
        self.verify = verify
        self.pools: dict[str, Connections] = {}  # address -> Connections (one address per client in practice)

    def post(self, address: str, message: bytes | str, headers: Mapping[str, str]) -> _Reply:
        pool = self.pools.get(address) or self._pool(address)
        body = message if isinstance(message, bytes) else str(message).encode()
        status, content, head = send(
            pool, body, {**headers, "X-Auth-Token": self.token}, getattr(self.local, "capture", None)
        )
        return self._check(_Reply(status, content, head))

    def _pool(self, address: str) -> Connections:
        context = _tls_context(self.verify) if address.lower().startswith("https:") else None
        return self.pools.setdefault(address, Connections(address, context=context, **self.options))

    def metrics(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for pool in self.pools.values():
            total.update(pool.metrics)
        return total

    @staticmethod
    def _check(response: _Reply) -> _Reply:
        status = str(response.status_code)
        if status in AUTH_MESSAGES:
            raise FerzlAuthError(status, AUTH_MESSAGES[status])
        if status in ("400", "409"):
            raise FerzlRejected(status, _fault_text(response.content) or "Ошибка в формате запроса")
        if status != "200":
            raise FerzlUnavailable(status, f"ФЕРЗЛ ответил HTTP {status}")
        return response


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    """verify: True (the system's CAs), the path of a CA bundle, or False (no check: tests only)."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)


def _fault_text(content: bytes) -> str | None:
    """faultstring of a SOAP Fault body, if there is one."""
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except (etree.XMLSyntaxError, ValueError):
        return None
    found = root.find(".//faultstring")
    return found.text.strip() if found is not None and found.text else None


class _Captured:
    """with _Captured(transport, capture): the transport records this green thread's exchanges."""

    def __init__(self, transport: _Transport, capture: Capture | None) -> None:
        self.transport, self.capture = transport, capture

    def __enter__(self) -> None:
        self.transport.local.capture = self.capture

    def __exit__(self, *exc: object) -> None:
        self.transport.local.capture = None


def _call(operation: Callable[..., Any], kwargs: dict[str, Any], result_of: Callable[[Any], T]) -> T:
    """Run a zeep operation; SOAP-level problems become FerzlErrors."""
    try:
        return result_of(operation(**kwargs))
    except FerzlError:
        raise
    except Fault as exc:
        kind = FerzlRejected if "client" in str(exc.code or "").lower() else FerzlUnavailable
        raise kind("fault", exc.message or "SOAP Fault") from None
    except ValidationError as exc:
        raise FerzlRejected("400", f"Запрос не соответствует схеме ФЕРЗЛ: {exc.message}") from None
    except (TransportError, XMLSyntaxError, ZeepError) as exc:
        raise FerzlUnavailable("transport", f"Ответ ФЕРЗЛ не разобран: {type(exc).__name__}") from None


class FerzlClient:
    def __init__(
        self,
        url: str,
        token: str,
        timeout: float = config.Settings.ferzl_timeout,
        wsdl_path: str | Path | None = None,
        pool_size: int = 100,
        plugins: list[Any] | None = None,
        verify: bool = True,
        connect_timeout: float | None = None,
        idle_seconds: float = IDLE_SECONDS,
        api: ferzl_api.FerzlApi = ferzl_api.DEFAULT,
    ) -> None:
        transport = _Transport(token, timeout, connect_timeout, idle_seconds, pool_size, verify)
        wsdl = wsdl_path or api.wsdl(ferzl_api.PERSON_INFO)
        self.zeep = Client(str(wsdl), transport=transport, settings=Settings(strict=False), plugins=plugins or [])
        self.service = self.zeep.create_service(api.binding, url)
        self.url = url

    def get_person_data(self, params: dict[str, Any], external_id: str, capture: Capture | None = None) -> Answer:
        """The Answer of one search (see mapping.answer_from_response); raises FerzlError subclasses."""
        request = mapping.build_request(params, external_id)
        with _Captured(self.zeep.transport, capture):
            result = _call(self.service.getPersonData, request, lambda r: serialize_object(r, dict) or {})
        return mapping.answer_from_response(result, params)

    def request_xml(self, params: dict[str, Any], external_id: str) -> bytes:
        """The SOAP envelope get_person_data would send (for tests and troubleshooting)."""
        envelope = self.zeep.create_message(self.service, "getPersonData", **mapping.build_request(params, external_id))
        return etree.tostring(envelope, encoding="utf-8", xml_declaration=True)


class MassClient:
    """getMassInsuranceStatusStart / getMassInsuranceStatusPoll of mpiAsyncOperationsService (zeep, MTOM)."""

    def __init__(
        self,
        url: str,
        token: str,
        timeout: float = config.Settings.ferzl_timeout,
        wsdl_path: str | Path | None = None,
        pool_size: int = 20,
        verify: bool = True,
        connect_timeout: float | None = None,
        idle_seconds: float = IDLE_SECONDS,
        api: ferzl_api.FerzlApi = ferzl_api.DEFAULT,
    ) -> None:
        transport = _Transport(token, timeout, connect_timeout, idle_seconds, pool_size, verify)
        wsdl = wsdl_path or api.wsdl(ferzl_api.ASYNC_OPERATIONS)
        self.zeep = Client(str(wsdl), transport=transport, settings=Settings(strict=False))
        self.service = self.zeep.create_service(api.async_binding, url)
        self.url = url

    def start(self, requests_: list[dict[str, Any]], external_id: str, capture: Capture | None = None) -> str:
        """requests_: [{"enp"|"oip", "dt"?}] (up to 1000) -> opToken."""
        with _Captured(self.zeep.transport, capture):
            result = _call(
                self.service.getMassInsuranceStatusStart,
                {"externalRequestId": external_id, "requests": requests_},
                lambda r: serialize_object(r, dict) or {},
            )
        _raise_errors(result)
        if not result.get("opToken"):
            raise FerzlUnavailable("fault", "ФЕРЗЛ не выдал токен операции")
        return result["opToken"]

    def poll(self, op_token: str, external_id: str, capture: Capture | None = None) -> tuple[str | None, bytes | None]:
        """-> (processingStatus, zip bytes or None)."""
        with _Captured(self.zeep.transport, capture):
            result = _call(
                self.service.getMassInsuranceStatusPoll,
                {"externalRequestId": external_id, "opToken": op_token},
                _poll_result,
            )
        _raise_errors(result)
        return result.get("processingStatus"), result.get("content")


def _poll_result(result: Any) -> dict[str, Any]:
    """zeep returns a MessagePack for an MTOM answer (the xop:Include already resolved into content)."""
    root = getattr(result, "root", result)
    return serialize_object(root, dict) or {}


def _raise_errors(result: Mapping[str, Any]) -> None:
    items = [i for i in ((result.get("errors") or {}).get("errorItem") or []) if i]
    if items:
        raise mapping.error_from_items(items)
