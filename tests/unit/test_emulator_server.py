"""The emulator's WSGI app through werkzeug's test client: routes, token, knobs, counters."""

import time

import pytest
from lxml import etree
from werkzeug.test import Client

from services.ferzl_emulator import soap
from services.ferzl_emulator.register import Register
from services.ferzl_emulator.server import BASE, SOAP_PATH, Emulator
from tests.ferzl_support import oip_request

REGISTER = Register()
TOKEN = "secret-token"


@pytest.fixture
def app():
    return Emulator(REGISTER, TOKEN)


@pytest.fixture
def client(app):
    return Client(app)


def post(client, body=None, token=TOKEN):
    headers = {"X-Auth-Token": token} if token else {}
    return client.post(
        SOAP_PATH,
        data=body or oip_request(REGISTER.person(0).oip),
        headers=headers,
        content_type="text/xml; charset=utf-8",
    )


def error_codes(response):
    root = etree.fromstring(response.data)
    return [e.text for e in root.iter(f"{{{soap.COMMON}}}code")]


def test_soap_call_answers_and_counts(client):
    response = post(client)
    assert response.status_code == 200 and response.content_type.startswith("text/xml")
    assert b"<ns3:pd>" in response.data and not error_codes(response)
    assert client.get("/emulator/admin").json["counters"] == {"getPersonData": 1}


@pytest.mark.parametrize("token", [None, "wrong"])
def test_missing_or_wrong_token_is_http_401_with_a_fault(client, token):
    response = post(client, token=token)
    assert response.status_code == 401
    assert etree.fromstring(response.data).find(f".//{{{soap.SOAP}}}Fault/faultcode").text == "soap:Client"


def test_token_knob_simulates_expiry(client):
    client.post("/emulator/admin", json={"token": "new-token"})
    assert post(client).status_code == 401
    assert post(client, token="new-token").status_code == 200


def test_down_and_http_errors(client):
    client.post("/emulator/admin", json={"down": True})
    assert post(client).status_code == 503
    assert client.get("/emulator/health").json["down"] is True
    client.post("/emulator/admin", json={"down": False, "http_error_rate": 1})
    assert post(client).status_code == 503
    state = client.post("/emulator/admin", json={"reset": True}).json
    assert state["knobs"]["http_error_rate"] == 0 and state["counters"] == {}
    assert post(client).status_code == 200


def test_error_rate_gives_error_item_500(client):
    client.post("/emulator/admin", json={"error_rate": 1.0})
    response = post(client)
    assert response.status_code == 200 and error_codes(response) == ["500"]
    assert client.get("/emulator/admin").json["counters"]["error_500"] == 1


def test_rate_limit_gives_429(client):
    client.post("/emulator/admin", json={"rate_limit": 3})
    time.sleep(1.01 - time.monotonic() % 1)  # the limit counts calls per whole second: start just after a new one
    statuses = [post(client).status_code for _ in range(6)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429  # (6 calls in-process take milliseconds)
    assert client.get("/emulator/admin").json["counters"]["http_429"] >= 2


def test_latency(client):
    client.post("/emulator/admin", json={"latency_ms": 150})
    started = time.monotonic()
    assert post(client).status_code == 200
    assert time.monotonic() - started >= 0.14


def test_bad_envelope_is_http_400(client):
    response = post(client, body=b"<not-soap/>")
    assert response.status_code == 400 and b"Fault" in response.data


@pytest.mark.parametrize(
    "changes", [{"nope": 1}, {"error_rate": 2}, {"down": "yes"}, {"latency_ms": -1}, {"token": 5}, ["a"]]
)
def test_admin_rejects_bad_knobs(client, changes):
    response = client.post("/emulator/admin", json=changes)
    assert response.status_code == 400 and "error" in response.json


def test_reset_counters_keeps_knobs(client):
    client.post("/emulator/admin", json={"latency_ms": 1})
    post(client)
    state = client.post("/emulator/admin", json={"reset_counters": True}).json
    assert state["counters"] == {} and state["knobs"]["latency_ms"] == 1.0


def test_wsdl_points_at_the_serving_host_and_xsd_are_served(client):
    wsdl = client.get(SOAP_PATH + ".wsdl", base_url="http://emu.example:9999")
    assert wsdl.status_code == 200
    assert b'location="http://emu.example:9999' + SOAP_PATH.encode() + b'"' in wsdl.data
    assert client.get(SOAP_PATH + "?wsdl").status_code == 200
    for name in ("mpiPersonInfoSchema.xsd", "commonTypes.xsd"):
        xsd = client.get(f"{BASE}/xsd/{name}")
        assert xsd.status_code == 200 and etree.fromstring(xsd.data).tag.endswith("schema")
    assert client.get(f"{BASE}/xsd/../../secret.xsd").status_code == 404
    assert client.get("/nothing").status_code == 404


def test_sample_endpoint(client):
    rows = client.get("/emulator/sample?n=3&kind=temporary&dt=2026-01-01").json
    assert len(rows) == 3 and all("temporary" in r["tags"] and r["known"] for r in rows)
    assert rows == client.get("/emulator/sample?n=3&kind=temporary&dt=2026-01-01").json
    assert all(r["answer"]["policy"]["status"] in ("ДНП", "ДПП") for r in rows)
    unknown = client.get("/emulator/sample?n=2&kind=unknown").json
    assert [r["known"] for r in unknown] == [False, False] and unknown[0]["answer"] is None
    assert client.get("/emulator/sample?kind=bogus").status_code == 400
    assert len(client.get("/emulator/sample").json) == 10
