"""zeep clients of ФЕРЗЛ: built once per process, shared by many green threads.

The WSDL is our own contracts/ferzl file (ФЕРЗЛ is on a closed network); the binding is pointed
at the configured URL. The token goes in the X-Auth-Token header of every call. Nothing of a
request or an answer is logged: they hold personal data. A call may pass an archive.Capture: the
transport then records the raw exchange (for the support archive, never for logs).
"""
import threading
import time
from pathlib import Path

import requests
from lxml import etree
from requests.adapters import HTTPAdapter
from zeep import Client, Settings
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError, ValidationError, XMLSyntaxError
from zeep.helpers import serialize_object
from zeep.transports import Transport

from services.ferzl_bridge import mapping
from services.ferzl_bridge.errors import FerzlAuthError, FerzlError, FerzlRejected, FerzlUnavailable


def _contracts():
    """contracts/ferzl of the source tree, else of the working directory (a non-editable install)."""
    beside = Path(__file__).resolve().parents[2] / "contracts" / "ferzl"
    return beside if beside.exists() else Path.cwd() / "contracts" / "ferzl"


WSDL = _contracts() / "wsdl" / "mpiPersonInfoServiceWs.wsdl"
BINDING = "{http://ffoms.ru/services/24.2.6/mpiPersonInfoService}TFOMS_SoapBinding"
ASYNC_WSDL = _contracts() / "wsdl" / "mpiAsyncOperationsServiceWs.wsdl"
ASYNC_BINDING = "{http://ffoms.ru/services/24.2.6/mpiAsyncOperationsService}TFOMS_SoapBinding"
AUTH_MESSAGES = {"401": "ФЕРЗЛ отклонил токен доступа (ошибка аутентификации)",
                 "403": "Нет прав на вызов метода ФЕРЗЛ (ошибка доступа к ресурсу)"}


class _Transport(Transport):
    """Posts without logging the body and turns HTTP failures into our errors before zeep parses."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.local = threading.local()  # green-local under monkey patching: the capture of the current call

    def post(self, address, message, headers):
        capture = getattr(self.local, "capture", None)
        started, response = time.monotonic(), None
        try:
            response = self._post(address, message, headers)
        finally:
            if capture is not None:
                capture.add(message if isinstance(message, bytes) else str(message).encode(),
                            response.content if response is not None else None,
                            response.status_code if response is not None else None,
                            (time.monotonic() - started) * 1000)
        return self._check(response)

    def _post(self, address, message, headers):
        try:
            return self.session.post(address, data=message, headers=headers, timeout=self.operation_timeout)
        except requests.Timeout:
            raise FerzlUnavailable("timeout", "ФЕРЗЛ не ответил за отведённое время")
        except requests.ConnectionError:
            raise FerzlUnavailable("connection", "Нет соединения с ФЕРЗЛ")
        except requests.RequestException as exc:
            raise FerzlUnavailable("transport", f"Ошибка обмена с ФЕРЗЛ: {type(exc).__name__}")

    @staticmethod
    def _check(response):
        status = str(response.status_code)
        if status in AUTH_MESSAGES:
            raise FerzlAuthError(status, AUTH_MESSAGES[status])
        if status in ("400", "409"):
            raise FerzlRejected(status, _fault_text(response.content) or "Ошибка в формате запроса")
        if status != "200":
            raise FerzlUnavailable(status, f"ФЕРЗЛ ответил HTTP {status}")
        return response


def _fault_text(content):
    """faultstring of a SOAP Fault body, if there is one."""
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except (etree.XMLSyntaxError, ValueError):
        return None
    found = root.find(".//faultstring")
    return found.text.strip() if found is not None and found.text else None


def _session(token, pool_size, verify):
    session = requests.Session()
    session.headers["X-Auth-Token"] = token
    # ФЕРЗЛ is on a closed network: no proxy or netrc from the environment (also saves an
    # environment scan per call). verify: True, or the path of a CA bundle for https.
    session.trust_env = False
    session.verify = verify
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _Captured:
    """with _Captured(transport, capture): the transport records this green thread's exchanges."""

    def __init__(self, transport, capture):
        self.transport, self.capture = transport, capture

    def __enter__(self):
        self.transport.local.capture = self.capture

    def __exit__(self, *exc):
        self.transport.local.capture = None


def _call(operation, kwargs, result_of):
    """Run a zeep operation; SOAP-level problems become FerzlErrors."""
    try:
        return result_of(operation(**kwargs))
    except FerzlError:
        raise
    except Fault as exc:
        kind = FerzlRejected if "client" in str(exc.code or "").lower() else FerzlUnavailable
        raise kind("fault", exc.message or "SOAP Fault")
    except ValidationError as exc:
        raise FerzlRejected("400", f"Запрос не соответствует схеме ФЕРЗЛ: {exc.message}")
    except (TransportError, XMLSyntaxError, ZeepError) as exc:
        raise FerzlUnavailable("transport", f"Ответ ФЕРЗЛ не разобран: {type(exc).__name__}")


class FerzlClient:
    def __init__(self, url, token, timeout=30, wsdl_path=None, pool_size=100, plugins=None, verify=True):
        session = _session(token, pool_size, verify)
        transport = _Transport(session=session, timeout=timeout, operation_timeout=timeout)
        self.zeep = Client(str(wsdl_path or WSDL), transport=transport, settings=Settings(strict=False),
                           plugins=plugins or [])
        self.service = self.zeep.create_service(BINDING, url)
        self.url = url

    def get_person_data(self, params: dict, external_id: str, capture=None) -> dict:
        """The answer dict for one search (see mapping.answer_from_response); raises FerzlError subclasses."""
        request = mapping.build_request(params, external_id)
        with _Captured(self.zeep.transport, capture):
            result = _call(self.service.getPersonData, request, lambda r: serialize_object(r, dict) or {})
        return mapping.answer_from_response(result, params.get("birth_date"))

    def request_xml(self, params: dict, external_id: str) -> bytes:
        """The SOAP envelope get_person_data would send (for tests and troubleshooting)."""
        envelope = self.zeep.create_message(self.service, "getPersonData",
                                            **mapping.build_request(params, external_id))
        return etree.tostring(envelope, encoding="utf-8", xml_declaration=True)


class MassClient:
    """getMassInsuranceStatusStart / getMassInsuranceStatusPoll of mpiAsyncOperationsService (zeep, MTOM)."""

    def __init__(self, url, token, timeout=30, wsdl_path=None, pool_size=20, verify=True):
        transport = _Transport(session=_session(token, pool_size, verify), timeout=timeout, operation_timeout=timeout)
        self.zeep = Client(str(wsdl_path or ASYNC_WSDL), transport=transport, settings=Settings(strict=False))
        self.service = self.zeep.create_service(ASYNC_BINDING, url)
        self.url = url

    def start(self, requests_, external_id, capture=None) -> str:
        """requests_: [{"enp"|"oip", "dt"?}] (up to 1000) -> opToken."""
        with _Captured(self.zeep.transport, capture):
            result = _call(self.service.getMassInsuranceStatusStart,
                           {"externalRequestId": external_id, "requests": requests_},
                           lambda r: serialize_object(r, dict) or {})
        _raise_errors(result)
        if not result.get("opToken"):
            raise FerzlUnavailable("fault", "ФЕРЗЛ не выдал токен операции")
        return result["opToken"]

    def poll(self, op_token, external_id, capture=None):
        """-> (processingStatus, zip bytes or None)."""
        with _Captured(self.zeep.transport, capture):
            result = _call(self.service.getMassInsuranceStatusPoll,
                           {"externalRequestId": external_id, "opToken": op_token}, _poll_result)
        _raise_errors(result)
        return result.get("processingStatus"), result.get("content")


def _poll_result(result):
    """zeep returns a MessagePack for an MTOM answer (the xop:Include already resolved into content)."""
    root = getattr(result, "root", result)
    return serialize_object(root, dict) or {}


def _raise_errors(result):
    items = [i for i in ((result.get("errors") or {}).get("errorItem") or []) if i]
    if items:
        raise mapping.error_from_items(items)
