"""The lxml fast path of getPersonData sends what zeep sends and reads what zeep reads (no network)."""

import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from lxml import etree
from zeep.helpers import serialize_object

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import ferzl_support as support  # noqa: E402

from services.ferzl_bridge import fast, mapping  # noqa: E402
from services.ferzl_bridge.client import FerzlClient  # noqa: E402
from services.ferzl_bridge.errors import FerzlRejected, FerzlUnavailable  # noqa: E402
from services.ferzl_emulator import soap  # noqa: E402
from services.ferzl_emulator.register import Register  # noqa: E402
from shared import clock  # noqa: E402

REGISTER = Register(support.SEED, support.SIZE)
ZEEP = FerzlClient("http://127.0.0.1:9/api/t-foms/integration/ws/24.2.6/wsdl/mpiPersonInfoServiceWs", "t")
KINDS = [
    ("oip", None),
    ("enp", None),
    ("unified", None),
    ("old_policy", "old_policy"),
    ("temporary", "temporary"),
    ("document", "passport"),
    ("document", "birth_certificate"),
    ("snils", None),
    ("snils_birth", "several_therapeutic"),
    ("all", "dental"),
    ("all", "no_patronymic"),
]


def tree(xml):
    """(namespace-qualified tag, text, children) without prefixes, declarations or whitespace."""
    el = etree.fromstring(xml) if isinstance(xml, bytes) else xml
    return (el.tag, (el.text or "").strip(), [tree(c) for c in el if isinstance(c.tag, str)])


def cases():
    for n, (kind, sample) in enumerate(KINDS):
        person = REGISTER.sample(2, sample)[1]
        params = support.params_for(person, kind)
        if n % 3 == 0:
            params["as_of"] = (clock.today() - timedelta(days=30 * n)).isoformat()
        yield kind, sample, person, params


@pytest.mark.parametrize("kind, sample, person, params", list(cases()), ids=[f"{k}-{s}" for k, s in KINDS])
def test_envelope_is_the_one_zeep_sends(kind, sample, person, params):
    external_id = str(uuid.uuid4())
    ours = fast.envelope(mapping.build_request(params, external_id))
    assert tree(ours) == tree(ZEEP.request_xml(params, external_id))
    call = soap.parse(ours)  # and the emulator reads it without complaint
    assert call.errors == [] and call.external_id == external_id


def test_text_is_escaped_and_stripped_of_characters_xml_cannot_carry():
    params = support.blank_params(oip="123456789012", surname="А<Б>&В\x01Г")
    xml = fast.envelope(mapping.build_request(params, str(uuid.uuid4())))
    found = etree.fromstring(xml).find(f".//{{{fast.TYPES}}}surname")
    assert found.text == "А<Б>&ВГ"


def zeep_reads(body):
    response = requests.models.Response()
    response.status_code, response._content = 200, body
    response.headers["Content-Type"] = "text/xml; charset=utf-8"
    op = ZEEP.service._binding._operations["getPersonData"]
    return serialize_object(ZEEP.service._binding.process_reply(ZEEP.zeep, op, response), dict) or {}


@pytest.mark.parametrize(
    "sample",
    [
        None,
        "old_policy",
        "temporary",
        "several_attachments",
        "dental",
        "dead",
        "no_attachments",
        "inactive_policy",
        "moscow",
    ],
)
def test_answer_is_read_as_zeep_reads_it(sample):
    for person in REGISTER.sample(3, sample):
        call = soap.parse(fast.envelope(mapping.build_request(support.blank_params(oip=person.oip), str(uuid.uuid4()))))
        body = soap.respond(REGISTER, call, clock.today())
        ours = mapping.answer_from_response(fast.read_response(body))
        theirs = mapping.answer_from_response(zeep_reads(body))
        assert ours == theirs and ours.to_dict() == REGISTER.answer(person, clock.today())


def test_error_items_are_read_as_zeep_reads_them():
    body = soap.error_response("getPersonData", str(uuid.uuid4()), [soap.NOT_FOUND, ("400", "Плохо", "pcy/enp", "1")])
    assert fast.read_response(body)["errors"]["errorItem"] == [
        {"code": "409", "message": "Персона не найдена"},
        {"code": "400", "message": "Плохо", "tag": "pcy/enp", "value": "1"},
    ]
    with pytest.raises(FerzlRejected) as ours:
        mapping.answer_from_response(fast.read_response(body))
    with pytest.raises(FerzlRejected) as theirs:
        mapping.answer_from_response(zeep_reads(body))
    assert (ours.value.code, ours.value.message) == (theirs.value.code, theirs.value.message)


def test_faults_and_garbage():
    with pytest.raises(FerzlRejected):
        fast.read_response(soap.fault("Ошибка в формате запроса"))
    with pytest.raises(FerzlUnavailable):
        fast.read_response(soap.fault("Внутренняя ошибка", code="Server"))
    with pytest.raises(FerzlUnavailable):
        fast.read_response(b"<html>bad gateway</html>")
    with pytest.raises(FerzlUnavailable):
        fast.read_response(b"not xml at all")
