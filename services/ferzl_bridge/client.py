"""zeep client of ФЕРЗЛ getPersonData: built once per process, shared by many green threads.

The WSDL is our own contracts/ferzl file (ФЕРЗЛ is on a closed network); the binding is pointed
at the configured URL. The token goes in the X-Auth-Token header of every call. Nothing of a
request or an answer is logged: they hold personal data.
"""
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
AUTH_MESSAGES = {"401": "ФЕРЗЛ отклонил токен доступа (ошибка аутентификации)",
                 "403": "Нет прав на вызов метода ФЕРЗЛ (ошибка доступа к ресурсу)"}


class _Transport(Transport):
    """Posts without logging the body and turns HTTP failures into our errors before zeep parses."""

    def post(self, address, message, headers):
        try:
            response = self.session.post(address, data=message, headers=headers, timeout=self.operation_timeout)
        except requests.Timeout:
            raise FerzlUnavailable("timeout", "ФЕРЗЛ не ответил за отведённое время")
        except requests.ConnectionError:
            raise FerzlUnavailable("connection", "Нет соединения с ФЕРЗЛ")
        except requests.RequestException as exc:
            raise FerzlUnavailable("transport", f"Ошибка обмена с ФЕРЗЛ: {type(exc).__name__}")
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


class FerzlClient:
    def __init__(self, url, token, timeout=30, wsdl_path=None, pool_size=100, plugins=None, verify=True):
        session = requests.Session()
        session.headers["X-Auth-Token"] = token
        # ФЕРЗЛ is on a closed network: no proxy or netrc from the environment (also saves an
        # environment scan per call). verify: True, or the path of a CA bundle for https.
        session.trust_env = False
        session.verify = verify
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        transport = _Transport(session=session, timeout=timeout, operation_timeout=timeout)
        self.zeep = Client(str(wsdl_path or WSDL), transport=transport, settings=Settings(strict=False),
                           plugins=plugins or [])
        self.service = self.zeep.create_service(BINDING, url)
        self.url = url

    def get_person_data(self, params: dict, external_id: str) -> dict:
        """The answer dict for one search (see mapping.answer_from_response); raises FerzlError subclasses."""
        request = mapping.build_request(params, external_id)
        try:
            result = self.service.getPersonData(**request)
        except FerzlError:
            raise
        except Fault as exc:
            kind = FerzlRejected if "client" in str(exc.code or "").lower() else FerzlUnavailable
            raise kind("fault", exc.message or "SOAP Fault")
        except ValidationError as exc:
            raise FerzlRejected("400", f"Запрос не соответствует схеме ФЕРЗЛ: {exc.message}")
        except (TransportError, XMLSyntaxError, ZeepError) as exc:
            raise FerzlUnavailable("transport", f"Ответ ФЕРЗЛ не разобран: {type(exc).__name__}")
        return mapping.answer_from_response(serialize_object(result, dict) or {}, params.get("birth_date"))

    def request_xml(self, params: dict, external_id: str) -> bytes:
        """The SOAP envelope get_person_data would send (for tests and troubleshooting)."""
        envelope = self.zeep.create_message(self.service, "getPersonData",
                                            **mapping.build_request(params, external_id))
        return etree.tostring(envelope, encoding="utf-8", xml_declaration=True)
