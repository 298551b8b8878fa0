"""What ОЗСП sends to ФЕРЗЛ and what the emulator answers validate against the official 24.2.6 schemas
(../shared/reference/ferzl-wsdl-24.2.6) and against our own contracts/ferzl; round trips through the
real client and the emulator running as a separate process."""

import json
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from lxml import etree
from zeep import Client
from zeep.plugins import HistoryPlugin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import ferzl_support as support  # noqa: E402

from services.ferzl_bridge.client import FerzlClient  # noqa: E402
from services.ferzl_bridge.errors import FerzlAuthError, FerzlNotFound, FerzlRejected, FerzlUnavailable  # noqa: E402
from services.ferzl_emulator.register import Register  # noqa: E402

REGISTER = Register(support.SEED, support.SIZE)
TYPES = "http://ffoms.ru/types/24.2.6/mpiPersonInfoSchema"
COMMON = "http://ffoms.ru/types/24.2.6/commonTypes"


@pytest.fixture(scope="module")
def schemas():
    """Our schemas always; the official ones when ../shared is there (see official_checked)."""
    official = support.official_schema()
    return {"own": support.own_schema(), **({"official": official} if official is not None else {})}


@pytest.fixture
def history():
    return HistoryPlugin()


@pytest.fixture
def client(emulator, history):
    return FerzlClient(emulator.soap_url, emulator.token, timeout=10, plugins=[history])


def assert_valid(schemas, envelope):
    element = support.payload(envelope)
    for name, schema in schemas.items():
        if not schema.validate(element):
            pytest.fail(
                f"{etree.QName(element).localname} is not valid against the {name} schema: "
                f"{schema.error_log.last_error}"
            )


def exchanged(history):
    return history.last_sent["envelope"], history.last_received["envelope"]


# (identifier kind for ferzl_support.params_for, register sample kind, as_of)
CASES = [
    ("oip", None, None),
    ("enp", None, None),
    ("unified", None, None),
    ("old_policy", "old_policy", None),
    ("old_policy", "old_policy", "old"),  # as of a day when the old-style policy was in force
    ("old_policy", "old_style", None),
    ("temporary", "temporary", "vs"),
    ("temporary", "temporary", None),
    ("temporary", "temporary_history", None),
    ("document", "passport", None),
    ("document", "birth_certificate", None),
    ("snils", None, None),
    ("snils_birth", "several_therapeutic", None),
    ("all", "dental", None),
    ("enp", "inactive_policy", None),
    ("enp", "no_attachments", None),
    ("enp", "moscow", None),
]


@pytest.mark.parametrize("kind, sample_kind, as_of", CASES)
def test_round_trip_for_every_identifier_kind(client, history, schemas, kind, sample_kind, as_of, official_checked):
    person = REGISTER.sample(3, sample_kind)[2]
    params = support.params_for(person, kind)
    dt = support.ask_as_of(params, person, as_of)
    external_id = str(uuid.uuid4())

    assert_valid(schemas, client.request_xml(params, external_id))
    answer = client.get_person_data(params, external_id).to_dict()
    sent, received = exchanged(history)
    assert_valid(schemas, sent)
    assert_valid(schemas, received)
    assert support.payload(received).findtext(f"{{{COMMON}}}externalRequestId") == external_id
    assert answer == REGISTER.answer(person, dt)
    if as_of == "old":
        assert answer["policy"]["type"] == "С" and answer["policy"]["status"] == "ДПП"


def test_not_found_is_rejected_with_the_russian_message(client, history, schemas, official_checked):
    nobody = REGISTER.sample(1, "unknown")[0]
    with pytest.raises(FerzlNotFound) as exc:
        client.get_person_data(support.blank_params(enp=nobody.enp), str(uuid.uuid4()))
    assert isinstance(exc.value, FerzlRejected)
    assert (exc.value.code, exc.value.message) == ("409", "Персона не найдена")
    assert_valid(schemas, exchanged(history)[1])


def test_wrong_name_is_not_found(client, history, schemas, official_checked):
    person = REGISTER.person(11)
    with pytest.raises(FerzlNotFound):
        client.get_person_data(support.blank_params(oip=person.oip, surname="ПОСТОРОННИЙ"), str(uuid.uuid4()))
    assert_valid(schemas, exchanged(history)[0])


def test_contradictory_parameters_are_rejected(client, history, schemas, official_checked):
    a, b = REGISTER.person(1), REGISTER.person(2)
    with pytest.raises(FerzlRejected) as exc:
        client.get_person_data(support.blank_params(oip=a.oip, snils=b.snils), str(uuid.uuid4()))
    assert exc.value.code == "409" and "разным персонам" in exc.value.message
    assert not isinstance(exc.value, FerzlNotFound)
    assert_valid(schemas, exchanged(history)[1])


def test_malformed_identifier_is_rejected_with_400(client, history, schemas, official_checked):
    enp = REGISTER.person(4).enp
    bad = enp[:-1] + str((int(enp[-1]) + 1) % 10)
    with pytest.raises(FerzlRejected) as exc:
        client.get_person_data(support.blank_params(enp=bad), str(uuid.uuid4()))
    assert exc.value.code == "400" and "ЕНП" in exc.value.message
    assert_valid(schemas, exchanged(history)[1])


def test_error_item_500_is_unavailable(emulator, client, history, schemas, official_checked):
    emulator.admin(error_rate=1)
    with pytest.raises(FerzlUnavailable) as exc:
        client.get_person_data(support.blank_params(oip=REGISTER.person(3).oip), str(uuid.uuid4()))
    assert (exc.value.code, exc.value.message) == ("500", "Системная ошибка")
    assert_valid(schemas, exchanged(history)[1])


def test_get_insurance_status_validates(emulator, client, schemas, official_checked):
    person = REGISTER.sample(1, "old_policy")[0]

    def status_call(search, dt=None):
        params = {"personSearchInfo": search, **({"dt": dt} if dt else {})}
        envelope = client.zeep.create_message(
            client.service,
            "getInsuranceStatus",
            externalRequestId=str(uuid.uuid4()),
            insuranceStatusSearchParams=params,
        )
        body = etree.tostring(envelope)
        assert_valid(schemas, body)
        response = requests.post(
            emulator.soap_url,
            data=body,
            timeout=10,
            headers={
                "X-Auth-Token": emulator.token,
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": '"http://ffoms.ru/services/tfoms/getInsuranceStatus"',
            },
        )
        assert response.status_code == 200
        assert_valid(schemas, response.content)
        return support.payload(response.content)

    found = status_call({"pcy": {"enp": person.enp}})
    assert found.findtext(f"{{{TYPES}}}status/{{{TYPES}}}policyNumEnp") == person.enp
    old = person.policies[0]
    in_the_past = status_call(
        {"pcy": {"pcyType": "С", "pcySer": old.series, "pcyNum": old.number}}, old.date_b + timedelta(days=1)
    )
    assert in_the_past.findtext(f"{{{TYPES}}}status/{{{TYPES}}}policyNumEnp") == old.number
    missing = status_call({"oip": REGISTER.sample(1, "unknown")[0].oip})
    assert missing.findtext(f"{{{COMMON}}}errors/{{{COMMON}}}errorItem/{{{COMMON}}}code") == "409"


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_missing_or_wrong_token_is_an_auth_error(emulator, token):
    client = FerzlClient(emulator.soap_url, token, timeout=10)
    with pytest.raises(FerzlAuthError) as exc:
        client.get_person_data(support.blank_params(oip=REGISTER.person(0).oip), str(uuid.uuid4()))
    assert exc.value.code == "401"


def test_token_expiry_is_an_auth_error(emulator, client):
    params = support.blank_params(oip=REGISTER.person(0).oip)
    client.get_person_data(params, str(uuid.uuid4()))
    emulator.admin(token="rotated-token")
    with pytest.raises(FerzlAuthError):
        client.get_person_data(params, str(uuid.uuid4()))


@pytest.mark.parametrize("knobs, code", [({"down": True}, "503"), ({"http_error_rate": 1}, "503")])
def test_outage_is_unavailable(emulator, client, knobs, code):
    emulator.admin(**knobs)
    with pytest.raises(FerzlUnavailable) as exc:
        client.get_person_data(support.blank_params(oip=REGISTER.person(0).oip), str(uuid.uuid4()))
    assert exc.value.code == code


def test_rate_limit_is_unavailable(emulator, client):
    emulator.admin(rate_limit=1)
    params = support.blank_params(oip=REGISTER.person(0).oip)
    with pytest.raises(FerzlUnavailable) as exc:
        for _ in range(5):
            client.get_person_data(params, str(uuid.uuid4()))
    assert exc.value.code == "429"
    assert emulator.state()["counters"]["http_429"] >= 1


def test_timeout_and_refused_connection_are_unavailable(emulator):
    emulator.admin(latency_ms=1500)
    slow = FerzlClient(emulator.soap_url, emulator.token, timeout=0.3)
    with pytest.raises(FerzlUnavailable) as exc:
        slow.get_person_data(support.blank_params(oip=REGISTER.person(0).oip), str(uuid.uuid4()))
    assert exc.value.code == "timeout"
    nowhere = FerzlClient(f"http://127.0.0.1:{support.free_port()}{support.SOAP_PATH}", "t", timeout=2)
    with pytest.raises(FerzlUnavailable) as exc:
        nowhere.get_person_data(support.blank_params(oip=REGISTER.person(0).oip), str(uuid.uuid4()))
    assert exc.value.code == "connection"


def test_served_wsdl_loads_in_zeep_and_points_at_the_emulator(emulator):
    zeep = Client(emulator.soap_url + ".wsdl")
    binding = zeep.wsdl.bindings["{http://ffoms.ru/services/24.2.6/mpiPersonInfoService}TFOMS_SoapBinding"]
    assert set(binding._operations) == {"getPersonData", "getInsuranceStatus"}
    assert zeep.service._binding_options["address"] == emulator.soap_url
    for name in ("mpiPersonInfoSchema.xsd", "commonTypes.xsd"):
        served = requests.get(f"{emulator.base_url}/api/t-foms/integration/ws/24.2.6/xsd/{name}", timeout=10)
        assert served.content == (support.OWN / "xsd" / name).read_bytes()


def test_own_types_keep_the_official_element_order(schemas):
    """Every complex type of ours that the official schemas also define lists its elements in the same
    order (ours may leave some out, never reorder)."""
    if "official" not in schemas:
        pytest.skip(f"official ФЕРЗЛ schemas not found in {support.OFFICIAL}")

    def sequences(folder):
        found = {}
        for path in (folder / "xsd").glob("*.xsd"):
            doc = etree.parse(str(path))
            for ctype in doc.iter("{http://www.w3.org/2001/XMLSchema}complexType"):
                if ctype.get("name"):
                    found[ctype.get("name")] = [
                        e.get("name") for e in ctype.iter("{http://www.w3.org/2001/XMLSchema}element")
                    ]
        return found

    official, own = sequences(support.OFFICIAL), sequences(support.OWN)
    for name, elements in own.items():
        if name not in official:
            continue
        reference = official[name]
        if name == "PersonDataSearchParamsType":  # flattened: base + extension
            reference = official["PersonDataBaseSearchParamsType"] + reference
        positions = [reference.index(e) for e in elements if e in reference]
        assert positions == sorted(positions) and len(positions) == len(elements), name


def test_many_concurrent_green_threads(emulator):
    """FerzlClient under eventlet monkey patching, 50 green threads, 100 ms latency per call."""
    emulator.admin(latency_ms=100)
    run = subprocess.run(
        [
            sys.executable,
            str(Path(support.__file__)),
            "--url",
            emulator.soap_url,
            "--token",
            emulator.token,
            "--calls",
            "200",
            "--concurrency",
            "50",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=support.ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["failures"] == 0
    assert result["seconds"] < 4, result  # one at a time it would take 20 s
