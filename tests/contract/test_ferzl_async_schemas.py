"""getMassInsuranceStatusStart/Poll: what the bridge sends and what the emulator answers validate against
the official 24.2.6 mpiAsyncOperationsSchema (../shared/reference/ferzl-wsdl-24.2.6) and our own
contracts/ferzl subset; a round trip through the real MassClient and the emulator process (MTOM zip)."""

import base64
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
import requests
from lxml import etree
from requests_toolbelt.multipart.decoder import MultipartDecoder
from zeep import Client
from zeep.plugins import HistoryPlugin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import ferzl_support as support  # noqa: E402

from services.ferzl_bridge import mass  # noqa: E402
from services.ferzl_bridge.archive import Capture  # noqa: E402
from services.ferzl_bridge.client import ASYNC_BINDING, MassClient  # noqa: E402
from services.ferzl_bridge.errors import FerzlAuthError, FerzlRejected  # noqa: E402
from services.ferzl_emulator.register import Register  # noqa: E402
from shared import clock  # noqa: E402
from shared.dictionaries.mo import smo_dictionary  # noqa: E402

REGISTER = Register(support.SEED, support.SIZE)
ASYNC = "http://ffoms.ru/types/24.2.6/mpiAsyncOperationsSchema"
COMMON = "http://ffoms.ru/types/24.2.6/commonTypes"
XS = "http://www.w3.org/2001/XMLSchema"
XOP = "{http://www.w3.org/2004/08/xop/include}Include"
ASYNC_PATH = "/api/t-foms/integration/ws/24.2.6/wsdl/mpiAsyncOperationsServiceWs"
OPERATIONS = (
    "getMassInsuranceStatusStartRequest",
    "getMassInsuranceStatusStartResponse",
    "getMassInsuranceStatusPollRequest",
    "getMassInsuranceStatusPollResponse",
)


def schema(folder):
    path = folder / "xsd" / "mpiAsyncOperationsSchema.xsd"
    return etree.XMLSchema(etree.parse(str(path))) if path.exists() else None


@pytest.fixture(scope="module")
def schemas():
    official = schema(support.OFFICIAL)
    return {"own": schema(support.OWN), **({"official": official} if official is not None else {})}


def resolved(body, content_type):
    """The SOAP envelope of an answer; for MTOM, with the xop:Include replaced by the part's base64."""
    if not content_type.startswith("multipart/related"):
        return etree.fromstring(body)
    parts = MultipartDecoder(body, content_type).parts
    envelope = etree.fromstring(parts[0].content)
    by_id = {p.headers[b"Content-ID"].decode().strip("<>"): p.content for p in parts[1:]}
    for include in envelope.iter(XOP):
        parent = include.getparent()
        parent.remove(include)
        parent.text = base64.b64encode(by_id[include.get("href")[4:]]).decode()
    return envelope


def assert_valid(schemas, envelope):
    element = support.payload(envelope)
    for name, s in schemas.items():
        if not s.validate(element):
            pytest.fail(
                f"{etree.QName(element).localname} not valid against the {name} schema: {s.error_log.last_error}"
            )


def test_own_elements_keep_the_official_structure(schemas, official_checked):
    """Our four elements have the official base types and child elements, in the official order."""
    if "official" not in schemas:
        return

    def shape(folder):
        doc = etree.parse(str(folder / "xsd" / "mpiAsyncOperationsSchema.xsd"))
        out = {}
        for name in OPERATIONS + ("PersonRequest",):
            node = doc.find(f"{{{XS}}}element[@name='{name}']")
            if node is None:
                node = doc.find(f"{{{XS}}}complexType[@name='{name}']")
            ext = node.find(f".//{{{XS}}}extension")
            out[name] = (
                ext.get("base").split(":")[1] if ext is not None else None,
                [
                    (e.get("name"), e.get("minOccurs"), e.get("maxOccurs"))
                    for e in node.iter(f"{{{XS}}}element")
                    if e is not node
                ],
            )
        return out

    assert shape(support.OWN) == shape(support.OFFICIAL)


def test_start_and_poll_requests_validate(schemas, official_checked):
    history = HistoryPlugin()
    client = Client(str(support.OWN / "wsdl" / "mpiAsyncOperationsServiceWs.wsdl"), plugins=[history])
    service = client.create_service(ASYNC_BINDING, "http://127.0.0.1:9/x")
    person = REGISTER.person(3)
    start = client.create_message(
        service,
        "getMassInsuranceStatusStart",
        externalRequestId=str(uuid.uuid4()),
        requests=[{"enp": person.enp}, {"oip": person.oip, "dt": date(2024, 5, 1)}],
    )
    assert_valid(schemas, etree.tostring(start))
    poll = client.create_message(
        service, "getMassInsuranceStatusPoll", externalRequestId=str(uuid.uuid4()), opToken="0b7c-token"
    )
    assert_valid(schemas, etree.tostring(poll))


def post(emulator, body, token=None):
    return requests.post(
        emulator.base_url + ASYNC_PATH,
        data=body,
        timeout=10,
        headers={"X-Auth-Token": token or emulator.token, "Content-Type": "text/xml; charset=utf-8"},
    )


def test_emulator_answers_validate_and_the_round_trip_equals_the_register(emulator, schemas, official_checked):
    emulator.admin(mass_delay_ms=200)
    capture = Capture()
    client = MassClient(emulator.base_url + ASYNC_PATH, emulator.token, timeout=10)
    persons = REGISTER.sample(40)
    nobody = REGISTER.sample(1, "unknown")[0]
    rows = [
        {
            "request_id": i,
            "group_id": 1,
            "params": support.blank_params(**({"enp": p.enp} if i % 2 else {"oip": p.oip})),
        }
        for i, p in enumerate(persons)
    ]
    rows.append({"request_id": 99, "group_id": 1, "params": support.blank_params(enp=nobody.enp)})
    requests_, sent, _ = mass.requests_for(rows)
    token = client.start(requests_, str(uuid.uuid4()), capture)
    status, content = client.poll(token, str(uuid.uuid4()), capture)
    assert (status, content) == ("в обработке", None)
    time.sleep(0.25)
    status, content = client.poll(token, str(uuid.uuid4()), capture)
    assert status == "готов" and content[:2] == b"PK"
    smo = {code: (name, ogrn) for code, name, ogrn in smo_dictionary()}
    found = mass.match(sent, mass.read_zip(content), smo)
    assert found[99] is None
    assert all(found[i].to_dict() == REGISTER.answer(p, clock.today()) for i, p in enumerate(persons))

    (_, start_req, start_resp, _, _, _), _, (_, _, ready, _, _, _) = capture.exchanges
    assert_valid(schemas, start_req)
    assert_valid(schemas, start_resp)
    response = post(emulator, capture.exchanges[1][1])  # the same Poll once more: the same answer
    assert response.status_code == 200
    assert_valid(schemas, resolved(response.content, response.headers["Content-Type"]))
    assert b"Content-Type: application/zip" in ready


def test_errors_validate_and_map_to_our_errors(emulator, schemas, official_checked):
    client = MassClient(emulator.base_url + ASYNC_PATH, emulator.token, timeout=10)
    with pytest.raises(FerzlRejected) as exc:
        client.start([{"oip": REGISTER.person(0).oip}] * 1001, str(uuid.uuid4()))
    assert exc.value.code == "400" and "1000" in exc.value.message
    with pytest.raises(FerzlRejected) as exc:
        client.poll("no-such-token", str(uuid.uuid4()))
    assert exc.value.code == "409"
    capture = Capture()
    with pytest.raises(FerzlRejected):
        client.poll("no-such-token", str(uuid.uuid4()), capture)
    assert_valid(schemas, capture.exchanges[0][2])
    with pytest.raises(FerzlAuthError):
        MassClient(emulator.base_url + ASYNC_PATH, "wrong", timeout=10).start([{"oip": "1" * 12}], str(uuid.uuid4()))


def test_served_async_wsdl_loads_in_zeep(emulator):
    zeep = Client(emulator.base_url + ASYNC_PATH + ".wsdl")
    binding = zeep.wsdl.bindings[ASYNC_BINDING]
    assert set(binding._operations) == {"getMassInsuranceStatusStart", "getMassInsuranceStatusPoll"}
    assert zeep.service._binding_options["address"] == emulator.base_url + ASYNC_PATH
