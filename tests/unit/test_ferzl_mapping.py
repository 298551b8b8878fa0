"""services.ferzl_bridge.mapping: search parameters -> getPersonData request, response -> answer."""

import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ferzl_support import blank_params  # noqa: E402

from services.ferzl_bridge import mapping  # noqa: E402
from services.ferzl_bridge.errors import FerzlAuthError, FerzlNotFound, FerzlRejected, FerzlUnavailable  # noqa: E402

GUID = "123e4567-e89b-12d3-a456-426614174000"
ENP = "5096989785000017"


def info(**values):
    request = mapping.build_request(blank_params(**values), GUID)
    assert request["externalRequestId"] == GUID
    return request["personDataSearchParams"]["personSearchInfo"]


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"oip": "123456789012"}, {"oip": "123456789012"}),
        ({"enp": ENP}, {"pcy": {"enp": ENP}}),
        ({"enp": ENP, "dpfs_type": "Э"}, {"pcy": {"pcyType": "Э", "enp": ENP}}),
        ({"dpfs_type": "П", "dpfs_number": ENP}, {"pcy": {"pcyType": "П", "enp": ENP}}),
        ({"dpfs_type": "Ц", "dpfs_number": ENP}, {"pcy": {"pcyType": "Ц", "enp": ENP}}),
        (
            {"dpfs_type": "С", "dpfs_series": "5012", "dpfs_number": "0012345678"},
            {"pcy": {"pcyType": "С", "pcySer": "5012", "pcyNum": "0012345678"}},
        ),
        ({"dpfs_type": "С", "dpfs_number": "0012345678"}, {"pcy": {"pcyType": "С", "pcyNum": "0012345678"}}),
        ({"dpfs_type": "В", "vs_number": "123456789"}, {"pcy": {"pcyType": "В", "tmpcertNum": "123456789"}}),
        ({"dpfs_type": "Е", "dpfs_number": "123456789"}, {"pcy": {"pcyType": "Е", "tmpcertNum": "123456789"}}),
        ({"vs_number": "123456789"}, {"pcy": {"pcyType": "В", "tmpcertNum": "123456789"}}),
        ({"dpfs_type": "C", "dpfs_number": "0012345678"}, {"pcy": {"pcyType": "С", "pcyNum": "0012345678"}}),  # Latin C
        ({"enp": ENP, "dpfs_type": "С", "dpfs_number": "0012345678"}, {"pcy": {"enp": ENP}}),  # ЕНП wins
        (
            {"dul_type": "14", "dul_series": "4612", "dul_number": "123456"},
            {"dudl": {"dudlType": "14", "dudlSer": "46 12", "dudlNum": "123456"}},
        ),
        (
            {"dul_type": "14", "dul_series": "46 12", "dul_number": "123456"},
            {"dudl": {"dudlType": "14", "dudlSer": "46 12", "dudlNum": "123456"}},
        ),
        (
            {"dul_type": "3", "dul_series": "IV-МЮ", "dul_number": "123456"},
            {"dudl": {"dudlType": "3", "dudlSer": "IV-МЮ", "dudlNum": "123456"}},
        ),
        ({"snils": "11223344595"}, {"snilsDr": {"snils": "11223344595"}}),
        (
            {"snils": "11223344595", "birth_date": "1980-02-29"},
            {"snilsDr": {"snils": "11223344595", "birthDay": date(1980, 2, 29)}},
        ),
        (
            {"oip": "123456789012", "enp": ENP, "snils": "11223344595"},
            {"oip": "123456789012", "pcy": {"enp": ENP}, "snilsDr": {"snils": "11223344595"}},
        ),
    ],
)
def test_every_identifier_kind_maps_to_its_group(values, expected):
    assert info(**values) == expected


def test_names_show_date_and_birth_date_without_snils():
    request = mapping.build_request(
        blank_params(
            oip="123456789012",
            surname="ТЕСТОВ",
            first_name="ПЁТР",
            patronymic="ИВАНОВИЧ",
            birth_date="1990-01-02",
            as_of="2024-03-01",
            name="мой запрос",
        ),
        GUID,
    )
    search = request["personDataSearchParams"]
    assert search == {
        "personSearchInfo": {"oip": "123456789012"},
        "surname": "ТЕСТОВ",
        "firstName": "ПЁТР",
        "patronymic": "ИВАНОВИЧ",
        "show": ["Person", "OmsPolicy", "Attach"],
        "dt": date(2024, 3, 1),
    }


def test_no_identifier_is_refused_before_sending():
    with pytest.raises(FerzlRejected) as exc:
        mapping.build_request(blank_params(surname="ТЕСТОВ", birth_date="1990-01-02"), GUID)
    assert exc.value.code == "400" and "Не заданы параметры поиска" in exc.value.message


# ---------------- response -> answer ----------------


def policy_item(**overrides):
    item = {
        "pcySer": None,
        "pcyNum": None,
        "enp": ENP,
        "pcyDateB": date(2015, 3, 4),
        "pcyDateE": None,
        "pcyType": "П",
        "pcyStatus": "ДПП",
        "okato": "46000",
        "insurName": 'ООО "СТАРАЯ"',
        "insurfName": 'ООО "ТЕСТОВАЯ СТРАХОВАЯ КОМПАНИЯ"',
        "insurOgrn": "1",
        "insurfOgrn": "1025000001014",
        "insurCode": "50009",
        "insurfCode": "50001",
        "tmpcertNum": None,
        "tmpcertDateE": None,
    }
    item.update(overrides)
    return item


def attach_item(area, status, begin, end=None, mo="501000"):
    return {"areaType": area, "attachStatus": status, "dateAttachB": begin, "dateAttachE": end, "moCode": mo}


def response(policies=(), attachments=(), persons=None, errors=None):
    pd = {
        "oip": "123456789012",
        "person": {"personItems": persons} if persons is not None else None,
        "policy": {"policyItems": list(policies)},
        "attach": {"attachItems": list(attachments)},
    }
    return {
        "externalRequestId": GUID,
        "errors": {"errorItem": errors} if errors else None,
        "pd": None if errors else pd,
    }


def test_full_answer():
    answer = mapping.answer_from_response(response([policy_item()], [attach_item("1", "ДПП", date(2020, 1, 2))]))
    assert answer.to_dict() == {
        "oip": "123456789012",
        "enp": ENP,
        "policy": {
            "type": "П",
            "series": None,
            "number": ENP,
            "enp": ENP,
            "status": "ДПП",
            "date_begin": "2015-03-04",
            "date_end": None,
            "okato": "46000",
            "smo_name": 'ООО "ТЕСТОВАЯ СТРАХОВАЯ КОМПАНИЯ"',
            "smo_ogrn": "1025000001014",
            "smo_code": "50001",
        },
        "attachments": [
            {"status": "ДПП", "mo_code": "501000", "date_begin": "2020-01-02", "date_end": None, "area_type": "1"}
        ],
    }


def test_several_attachments_are_ordered_active_therapy_first_then_newest():
    rows = [
        attach_item("3", "ДПП", date(2023, 1, 1), mo="3"),
        attach_item("1", "ДПП", date(2019, 1, 1), mo="old-active"),
        attach_item("1", "НСМ", date(2015, 1, 1), date(2018, 12, 31), mo="closed"),
        attach_item("1", "ДПУ", date(2021, 5, 5), mo="new-active"),
        attach_item("2", "ДПП", date(2016, 1, 1), mo="2"),
        None,
    ]
    answer = mapping.answer_from_response(response([policy_item()], rows))
    assert [a.mo_code for a in answer.attachments] == ["new-active", "old-active", "3", "2", "closed"]
    assert answer.attachments[-1].date_end == "2018-12-31"


def test_old_style_and_temporary_policies():
    old = mapping.answer_from_response(response([policy_item(pcyType="С", pcySer="5012", pcyNum="0012345678")]))
    assert old.policy.series == "5012" and old.policy.number == "0012345678"
    temporary = policy_item(
        pcyType="В", tmpcertNum="123456789", pcyStatus="ДНП", pcyDateE=None, tmpcertDateE=date(2026, 2, 1)
    )
    answer = mapping.answer_from_response(response([temporary]))
    assert answer.policy.number == "123456789" and answer.policy.date_end == "2026-02-01"


def test_choice_among_several_policies():
    closed = policy_item(pcyType="С", pcyNum="1", pcyStatus="НАП", pcyDateB=date(2001, 1, 1), pcyDateE=date(2014, 1, 1))
    newer_closed = policy_item(pcyStatus="НСН", pcyDateB=date(2016, 1, 1), pcyDateE=date(2020, 1, 1))
    active = policy_item(pcyDateB=date(2015, 1, 1))
    assert mapping.answer_from_response(response([closed, active, newer_closed])).policy.date_begin == "2015-01-01"
    assert mapping.answer_from_response(response([closed, newer_closed])).policy.status == "НСН"


def test_missing_optional_fields():
    minimal = {
        "enp": ENP,
        "pcyDateB": "2015-03-04",
        "pcyType": "Э",
        "pcyStatus": "ДПП",
        "okato": "46000",
        "insurName": 'АО "ОФИЦИАЛЬНАЯ"',
        "insurOgrn": "1035000002025",
        "insurCode": "50002",
    }
    answer = mapping.answer_from_response(
        {"externalRequestId": GUID, "pd": {"oip": "123456789012", "policy": {"policyItems": [minimal]}, "attach": None}}
    )
    assert answer.policy.smo_code == "50002" and answer.policy.date_begin == "2015-03-04"
    assert answer.policy.series is None and answer.policy.date_end is None
    assert answer.attachments == ()
    empty = mapping.answer_from_response({"externalRequestId": GUID, "pd": {"oip": "123456789012"}})
    assert empty.to_dict() == {"oip": "123456789012", "enp": None, "policy": None, "attachments": []}


def test_error_items_become_exceptions():
    def raised(*items):
        with pytest.raises(Exception) as exc:
            mapping.answer_from_response(response(errors=[{"code": c, "message": m} for c, m in items]))
        return exc.value

    not_found = raised(("409", "Персона не найдена"))
    assert type(not_found) is FerzlNotFound and not_found.message == "Персона не найдена"
    assert isinstance(not_found, FerzlRejected)
    bad = raised(("400", "Неверная контрольная цифра ЕНП"), ("400", "ОИП должен состоять из 12 цифр"))
    assert type(bad) is FerzlRejected and bad.code == "400" and "ЕНП" in bad.message and "ОИП" in bad.message
    assert type(raised(("409", "Противоречивые параметры"))) is FerzlRejected
    assert type(raised(("400", "x"), ("500", "Системная ошибка"))) is FerzlUnavailable
    assert type(raised(("401", "Ошибка аутентификации"))) is FerzlAuthError


def test_no_person_data_is_not_found():
    with pytest.raises(FerzlNotFound):
        mapping.answer_from_response({"externalRequestId": GUID, "errors": None, "pd": None})


def test_the_persons_fio_and_birth_date_are_compared_and_the_answer_kept():
    person = [
        {"surname": "ТЕСТОВ-ПРИМЕРОВ", "firstName": "ИВАН", "patronymic": "ПЁТРОВИЧ", "birthDay": date(1990, 1, 2)}
    ]
    asked = {"surname": "Тестов Примеров", "patronymic": "петрович", "birth_date": "1990-01-02", "enp": "1"}
    ok = mapping.answer_from_response(response([policy_item()], persons=person), asked)
    assert ok.oip == "123456789012" and ok.mismatch == ()
    assert "mismatch" not in ok.to_dict()
    other = {"surname": "ОБРАЗЦОВ", "first_name": "ИВАН", "birth_date": "1990-01-03"}
    differ = mapping.answer_from_response(response([policy_item()], persons=person), other)
    assert differ.policy is not None and differ.mismatch == ("surname", "birth_date")
    assert differ.to_dict()["mismatch"] == ["surname", "birth_date"]
    assert (
        mapping.answer_from_response(response([policy_item()]), other).mismatch == ()
    )  # no person: nothing to compare
