"""The emulator's SOAP layer without HTTP: parsing, validation errors, lookups, schema-valid answers."""

from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from services.ferzl_emulator import soap
from services.ferzl_emulator.register import Register

REGISTER = Register()
TODAY = date(2026, 6, 1)
GUID = "123e4567-e89b-12d3-a456-426614174000"
T, C = soap.TYPES, soap.COMMON
OWN_XSD = Path(__file__).resolve().parents[2] / "contracts" / "ferzl" / "xsd" / "mpiPersonInfoSchema.xsd"
OWN = etree.XMLSchema(etree.parse(str(OWN_XSD)))


def envelope(operation, search_xml, extra="", guid=GUID):
    wrapper = "personDataSearchParams" if operation == "getPersonData" else "insuranceStatusSearchParams"
    return f"""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="{T}" xmlns:c="{C}">
      <s:Body><t:{operation}Request><c:externalRequestId>{guid}</c:externalRequestId>
        <t:{wrapper}><t:personSearchInfo>{search_xml}</t:personSearchInfo>{extra}</t:{wrapper}>
      </t:{operation}Request></s:Body></s:Envelope>""".encode()


def call(operation, search_xml, extra="", guid=GUID):
    body = soap.respond(REGISTER, soap.parse(envelope(operation, search_xml, extra, guid)), TODAY)
    response = next(etree.fromstring(body).find(f"{{{soap.SOAP}}}Body").iterchildren())
    OWN.assertValid(response)
    return response


def errors_of(response):
    return [
        (i.findtext(f"{{{C}}}code"), i.findtext(f"{{{C}}}message"), i.findtext(f"{{{C}}}tag"))
        for i in response.iter(f"{{{C}}}errorItem")
    ]


def test_get_person_data_by_enp_answers_policy_and_attachments():
    p = REGISTER.sample(1, "several_attachments")[0]
    r = call("getPersonData", f"<t:pcy><c:enp>{p.enp}</c:enp></t:pcy>", "<t:show>OmsPolicy Attach</t:show>")
    assert r.findtext(f"{{{C}}}externalRequestId") == GUID and not errors_of(r)
    pd = r.find(f"{{{T}}}pd")
    assert pd.findtext(f"{{{T}}}oip") == p.oip
    assert pd.find(f"{{{T}}}person") is None and pd.find(f"{{{T}}}snils") is None  # not in show
    item = pd.find(f"{{{T}}}policy/{{{T}}}policyItems")
    assert item.findtext(f"{{{C}}}enp") == p.enp and item.findtext(f"{{{C}}}insurfCode") == p.policies[-1].smo_code
    assert len(pd.findall(f"{{{T}}}attach/{{{T}}}attachItems")) == len(p.attachments_on(TODAY))


def test_without_show_every_entity_comes():
    p = REGISTER.person(5)
    pd = call("getPersonData", f"<t:oip>{p.oip}</t:oip>").find(f"{{{T}}}pd")
    names = [etree.QName(e).localname for e in pd]
    assert names[:4] == ["oip", "person", "policy", "dudl"] and names[-1] == "snils"
    assert pd.findtext(f"{{{T}}}person/{{{T}}}personItems/{{{T}}}surname") == p.surname


@pytest.mark.parametrize(
    "search, tag, message",
    [
        ("", "personSearchInfo", "Не заданы параметры поиска"),
        ("<t:oip>12345</t:oip>", "oip", "12 цифр"),
        ("<t:pcy><c:enp>5096989785000018</c:enp></t:pcy>", "enp", "контрольная цифра ЕНП"),
        ("<t:pcy><c:enp>50969897</c:enp></t:pcy>", "enp", "16 цифр"),
        ("<t:pcy><c:pcyType>С</c:pcyType><c:pcySer>5001</c:pcySer></t:pcy>", "pcyNum", "pcyNum"),
        ("<t:pcy><c:pcyType>В</c:pcyType></t:pcy>", "tmpcertNum", "tmpcertNum"),
        ("<t:pcy><c:pcyType>Э</c:pcyType></t:pcy>", "enp", "ЕНП"),
        ("<t:pcy><c:pcyType>Z</c:pcyType></t:pcy>", "pcyType", "тип полиса"),
        ("<t:dudl><c:dudlNum>123456</c:dudlNum></t:dudl>", "dudlType", "тип ДУДЛ"),
        ("<t:snilsDr><t:birthDay>2000-01-01</t:birthDay></t:snilsDr>", "snils", "СНИЛС"),
        (
            "<t:snilsDr><t:snils>112-233-445 96</t:snilsDr>".replace("</t:snilsDr>", "</t:snils></t:snilsDr>"),
            "snils",
            "контрольное число",
        ),
    ],
)
def test_malformed_keys_get_400_error_items(search, tag, message):
    errors = errors_of(call("getPersonData", search))
    assert errors and all(code == "400" for code, _, _ in errors)
    assert any(t.endswith(tag) and message in m for _, m, t in errors), errors


def test_bad_guid_and_bad_date():
    p = REGISTER.person(3)
    r = call("getPersonData", f"<t:oip>{p.oip}</t:oip>", "<t:dt>2024-13-01</t:dt>", guid="not-a-guid")
    assert r.findtext(f"{{{C}}}externalRequestId") == soap.NIL_GUID
    assert {t for _, _, t in errors_of(r)} == {"externalRequestId", "personDataSearchParams/dt"}


def test_not_found_conflict_and_name_mismatch():
    a, b = REGISTER.person(1), REGISTER.person(2)
    unknown = REGISTER.sample(1, "unknown")[0]
    assert errors_of(call("getPersonData", f"<t:oip>{unknown.oip}</t:oip>")) == [("409", "Персона не найдена", None)]
    both = f"<t:oip>{a.oip}</t:oip><t:snilsDr><t:snils>{b.snils}</t:snils></t:snilsDr>"
    [(code, message, _)] = errors_of(call("getPersonData", both))
    assert code == "409" and "разным персонам" in message
    wrong_name = call("getPersonData", f"<t:oip>{a.oip}</t:oip>", "<t:surname>НЕТАКОВ</t:surname>")
    assert errors_of(wrong_name) == [("409", "Персона не найдена", None)]
    right_name = call("getPersonData", f"<t:oip>{a.oip}</t:oip>", f"<t:surname>{a.surname.lower()}</t:surname>")
    assert not errors_of(right_name)


def test_get_insurance_status():
    p = REGISTER.sample(1, "old_style")[0]
    policy = p.policies[-1]
    search = (
        f"<t:pcy><c:pcyType>С</c:pcyType><c:pcySer>{policy.series}</c:pcySer>"
        f"<c:pcyNum>{policy.number}</c:pcyNum></t:pcy>"
    )
    status = call("getInsuranceStatus", search).find(f"{{{T}}}status")
    assert status.findtext(f"{{{T}}}policyType") == "С"
    assert status.findtext(f"{{{T}}}policySer") == policy.series
    assert status.findtext(f"{{{T}}}policyNumEnp") == policy.number
    assert status.findtext(f"{{{T}}}smo") == policy.smo_code and status.findtext(f"{{{T}}}terr") == p.okato
    assert status.findtext(f"{{{T}}}fio").startswith(p.surname + " " + p.first_name[0] + ".")
    before = call("getInsuranceStatus", search, f"<t:dt>{p.birth_date.isoformat()}</t:dt>")
    if policy.date_b > p.birth_date:
        assert errors_of(before)[0][0] == "409"


@pytest.mark.parametrize("body", [b"not xml", b"<a/>", envelope("getPersonDataHistory", "")])
def test_unreadable_requests_are_bad_envelopes(body):
    with pytest.raises(soap.BadEnvelope):
        soap.parse(body)


def test_fault_and_error_response_are_well_formed():
    fault = etree.fromstring(soap.fault("Ошибка"))
    assert fault.find(f".//{{{soap.SOAP}}}Fault/faultcode").text == "soap:Client"
    body = soap.error_response("getPersonData", GUID, [soap.SYSTEM_ERROR])
    response = next(etree.fromstring(body).find(f"{{{soap.SOAP}}}Body").iterchildren())
    OWN.assertValid(response)
    assert errors_of(response) == [("500", "Системная ошибка", None)]
