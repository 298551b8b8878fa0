"""Emulator knobs the bridge's fault tests use (errors by kind, outage windows, token expiry, latency
distributions, hangs) and its mass operations, through werkzeug's test client."""

import io
import random
import time
import zipfile

import pytest
from lxml import etree
from requests_toolbelt.multipart.decoder import MultipartDecoder
from werkzeug.test import Client

from services.ferzl_emulator import mass, soap
from services.ferzl_emulator.register import Register
from services.ferzl_emulator.server import ASYNC_PATH, SOAP_PATH, Emulator, latency
from tests.ferzl_support import oip_request

REGISTER = Register()
TOKEN = "secret-token"
GUID = "123e4567-e89b-12d3-a456-426614174000"


def start_body(requests_):
    items = "".join(
        "<a:requests>" + "".join(f"<a:{k}>{v}</a:{k}>" for k, v in r.items()) + "</a:requests>" for r in requests_
    )
    return (
        f'<s:Envelope xmlns:s="{soap.SOAP}" xmlns:a="{mass.ASYNC}" xmlns:c="{soap.COMMON}"><s:Body>'
        f"<a:getMassInsuranceStatusStartRequest><c:externalRequestId>{GUID}</c:externalRequestId>{items}"
        f"</a:getMassInsuranceStatusStartRequest></s:Body></s:Envelope>"
    ).encode()


def poll_body(token):
    return (
        f'<s:Envelope xmlns:s="{soap.SOAP}" xmlns:a="{mass.ASYNC}" xmlns:c="{soap.COMMON}"><s:Body>'
        f"<a:getMassInsuranceStatusPollRequest><c:externalRequestId>{GUID}</c:externalRequestId>"
        f"<c:opToken>{token}</c:opToken></a:getMassInsuranceStatusPollRequest></s:Body></s:Envelope>"
    ).encode()


@pytest.fixture
def app():
    return Emulator(REGISTER, TOKEN)


@pytest.fixture
def client(app):
    return Client(app)


def post(client, body, path=SOAP_PATH, token=TOKEN):
    return client.post(path, data=body, headers={"X-Auth-Token": token}, content_type="text/xml; charset=utf-8")


def knobs(client, **changes):
    response = client.post("/emulator/admin", json=changes)
    assert response.status_code == 200, response.json
    return response.json


def codes(data):
    return [e.text for e in etree.fromstring(data).iter(f"{{{soap.COMMON}}}code")]


@pytest.mark.parametrize(
    "kind, status, code",
    [
        ("item_400", 200, "400"),
        ("item_409", 200, "409"),
        ("item_500", 200, "500"),
        ("http_400", 400, None),
        ("http_429", 429, None),
        ("http_500", 500, None),
        ("http_503", 503, None),
    ],
)
def test_every_kind_of_injected_error(client, kind, status, code):
    knobs(client, errors={kind: 1.0})
    response = post(client, oip_request(REGISTER.person(0).oip))
    assert response.status_code == status
    if code:
        assert codes(response.data) == [code]
    if kind == "http_500":
        assert b"soap:Server" in response.data
    knobs(client, errors=None)
    assert post(client, oip_request(REGISTER.person(0).oip)).status_code == 200


def test_error_shares_are_checked(client):
    assert client.post("/emulator/admin", json={"errors": {"nonsense": 0.1}}).status_code == 400
    assert client.post("/emulator/admin", json={"errors": {"http_500": 0.7, "http_503": 0.7}}).status_code == 400
    assert client.post("/emulator/admin", json={"latency_dist": "bimodal"}).status_code == 400


def test_error_shares_are_about_right(app, client):
    app.rng = random.Random(5)
    knobs(client, errors={"item_500": 0.05, "http_503": 0.05})
    statuses = [post(client, oip_request(REGISTER.person(1).oip)) for _ in range(1000)]
    counters = client.get("/emulator/admin").json["counters"]
    assert 30 <= counters["error_500"] <= 75 and 30 <= counters["http_503"] <= 75
    assert sum(r.status_code == 200 for r in statuses) == 1000 - counters["http_503"]


def test_outage_window_ends_by_itself(client):
    state = knobs(client, outage_s=0.3)
    assert state["down"] is True
    assert post(client, oip_request(REGISTER.person(0).oip)).status_code == 503
    assert client.get("/emulator/health").json["down"] is True
    time.sleep(0.35)
    assert post(client, oip_request(REGISTER.person(0).oip)).status_code == 200


def test_token_expires_and_a_new_token_restarts_the_clock(client):
    knobs(client, token_ttl_s=0.2)
    assert post(client, oip_request(REGISTER.person(0).oip)).status_code == 200
    time.sleep(0.25)
    assert post(client, oip_request(REGISTER.person(0).oip)).status_code == 401
    assert knobs(client, token=TOKEN)["token_expired"] is False
    assert post(client, oip_request(REGISTER.person(0).oip)).status_code == 200
    knobs(client, reset=True)
    time.sleep(0.25)
    assert post(client, oip_request(REGISTER.person(0).oip)).status_code == 200


def test_hang_holds_the_call(client):
    knobs(client, errors={"hang": 1.0}, hang_ms=150)
    started = time.monotonic()
    assert post(client, oip_request(REGISTER.person(0).oip)).status_code == 200
    assert time.monotonic() - started >= 0.15


def test_latency_distributions():
    rng = random.Random(3)
    normal = [latency(rng, 200, 50, "normal") for _ in range(2000)]
    logn = sorted(latency(rng, 200, 100, "lognormal") for _ in range(2000))
    uniform = [latency(rng, 200, 50, "uniform") for _ in range(2000)]
    assert 190 < sum(normal) / len(normal) < 210 and min(normal) >= 0
    assert 180 < logn[1000] < 220 and logn[-1] > 400  # median ~ latency_ms, a long tail
    assert 150 <= min(uniform) and max(uniform) <= 250
    assert latency(rng, 0, 0) == 0.0


def test_mass_start_poll_and_the_zip(app, client):
    knobs(client, mass_delay_ms=100)
    persons = REGISTER.sample(3)
    nobody = REGISTER.sample(1, "unknown")[0]
    response = post(
        client,
        start_body(
            [
                {"enp": persons[0].enp},
                {"dt": "2024-01-01", "oip": persons[1].oip},
                {"enp": nobody.enp},
                {"oip": persons[2].oip},
            ]
        ),
        ASYNC_PATH,
    )
    assert response.status_code == 200 and not codes(response.data)
    token = etree.fromstring(response.data).findtext(f".//{{{soap.COMMON}}}opToken")
    running = post(client, poll_body(token), ASYNC_PATH)
    assert etree.fromstring(running.data).findtext(f".//{{{soap.COMMON}}}processingStatus") == mass.RUNNING
    time.sleep(0.12)
    ready = post(client, poll_body(token), ASYNC_PATH)
    assert ready.content_type.startswith("multipart/related")
    parts = MultipartDecoder(ready.data, ready.content_type).parts
    envelope = etree.fromstring(parts[0].content)
    assert envelope.findtext(f".//{{{soap.COMMON}}}processingStatus") == mass.READY
    include = envelope.find(f".//{{{mass.XOP}}}Include")
    assert include.get("href") == "cid:" + parts[1].headers[b"Content-ID"].decode().strip("<>")
    with zipfile.ZipFile(io.BytesIO(parts[1].content)) as z:
        root = etree.fromstring(z.read(mass.RESULT_NAME))
    items = root.findall("item")
    assert len(items) == 4 and len(items[2]) == 0  # nobody: an empty item in its place
    assert items[0].findtext("policy/enp") == persons[0].enp and items[1].findtext("person/oip") == persons[1].oip
    counters = client.get("/emulator/admin").json["counters"]
    assert counters["getMassInsuranceStatusStart"] == 1 and counters["getMassInsuranceStatusPoll"] == 2
    assert counters["mass_persons"] == 4


def test_mass_errors(client):
    response = post(client, start_body([{"enp": "123"}, {}]), ASYNC_PATH)
    assert codes(response.data) == ["400", "400"]
    response = post(client, start_body([{"oip": "1" * 12}] * 1001), ASYNC_PATH)
    assert "400" in codes(response.data)
    response = post(client, poll_body("no-such-token"), ASYNC_PATH)
    assert codes(response.data) == ["409"]
    knobs(client, mass_error_rate=1.0, mass_delay_ms=0)
    token = etree.fromstring(post(client, start_body([{"oip": REGISTER.person(0).oip}]), ASYNC_PATH).data).findtext(
        f".//{{{soap.COMMON}}}opToken"
    )
    failed = post(client, poll_body(token), ASYNC_PATH)
    assert etree.fromstring(failed.data).findtext(f".//{{{soap.COMMON}}}processingStatus") == mass.FAILED
    assert codes(failed.data) == ["500"]
    assert post(client, start_body([{"oip": "1" * 12}]), ASYNC_PATH, token="wrong").status_code == 401


def test_served_async_wsdl_points_at_the_emulator(client):
    response = client.get(ASYNC_PATH + ".wsdl", base_url="http://emu.test:8100")
    assert response.status_code == 200
    assert f'location="http://emu.test:8100{ASYNC_PATH}"'.encode() in response.data
    assert client.get(ASYNC_PATH + "?wsdl").status_code == 200
    assert client.get("/api/t-foms/integration/ws/24.2.6/xsd/mpiAsyncOperationsSchema.xsd").status_code == 200


def test_jobs_expire():
    clock = [0.0]
    jobs = mass.Jobs(clock=lambda: clock[0])
    token = jobs.add(b"zip", 1.0)
    assert not jobs.ready(jobs.get(token))
    clock[0] = 2.0
    assert jobs.ready(jobs.get(token))
    clock[0] = mass.JOB_TTL + 10
    assert jobs.get(token) is None
