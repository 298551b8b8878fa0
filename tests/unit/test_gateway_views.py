"""What the pages show, without services: form values, card sections, journal filters, paging."""

from datetime import date

import pytest

from services.gateway import messages
from services.gateway.messages import COMBINED_FIO
from services.gateway.pages import views
from shared.params import FIELDS


def test_blank_form_defaults_the_as_of_date_to_today():
    values = views.blank_form(date(2026, 3, 5))
    assert values["as_of"] == "05-03-2026" and set(values) == set(FIELDS)
    assert all(v == "" for k, v in values.items() if k != "as_of")


def test_edit_prefills_display_forms_of_stored_parameters():
    params = {f: None for f in FIELDS} | {
        "name": "Мой",
        "enp": "5072360829000830",
        "snils": "15836169489",
        "as_of": "2026-06-19",
        "birth_date": "2002-07-22",
        "dul_type": "14",
    }
    values = views.values_from_params(params)
    assert values["as_of"] == "19-06-2026" and values["birth_date"] == "22-07-2002"
    assert values["snils"] == "158-361-694 89" and values["dul_type"] == "14" and values["oip"] == ""


def test_posted_values_keep_what_was_typed():
    values = views.posted_values({"enp": " 5076 ", "surname": "тестова", "unknown": "x"})
    assert values["enp"] == " 5076 " and values["surname"] == "тестова" and "unknown" not in values


def test_flk_errors_go_to_their_fields():
    errors = views.field_errors(
        [{"field": "enp", "message": "A"}, {"field": "enp", "message": "B"}, {"field": None, "message": "C"}]
    )
    assert errors == {"enp": "A B", "_form": "C"}


def test_drop_downs_show_names_not_bare_codes():
    assert views.POLICY_CHOICES[0] == ("", "Нет")
    assert ("П", "Бумажный полис ОМС единого образца") in views.POLICY_CHOICES
    assert ("14", "Паспорт гражданина РФ (14)") in views.DUL_CHOICES


def test_times_are_shown_in_moscow_time():
    assert views.datetime_text("2026-06-26T12:09:00+00:00") == "26.06.2026 15:09"
    assert views.datetime_text("2026-06-26T12:09:00+00:00", "-") == "26-06-2026 15:09"
    assert views.datetime_text(None) == ""


def test_card_shows_status_codes_with_names_and_splits_attachments():
    card = {
        "id": 7,
        "name": "RQ011",
        "status": "answered",
        "status_label": "Получен Ответ",
        "created_at": "2024-02-13T06:33:00+00:00",
        "answered_at": "2024-02-13T06:35:00+00:00",
        "params_text": "",
        "error": None,
        "answer": {
            "enp": "5055120840001936",
            "policy": {
                "type": "П",
                "status": "НАП",
                "enp": "5055120840001936",
                "date_begin": "2013-01-10",
                "date_end": "2024-01-13",
                "okato": "46000",
                "smo_name": "СМО",
                "smo_ogrn": "1027739099772",
                "smo_code": "50006",
            },
            "attachments": [
                {"status": "ДПП", "mo_code": "503814", "mo_name": "МО", "date_begin": "2021-10-21"},
                {"status": "НСМ", "mo_code": "100020", "mo_name": None, "date_begin": "2014-11-15"},
            ],
        },
    }
    view = views.card_view(card)
    rows = {r["label"]: r for r in view["policy"] + view["smo"]}
    assert rows["Тип полиса"]["value"] == "Бумажный полис ОМС единого образца"
    assert rows["Статус полиса"]["status"]["name"] == "Недействующий (аннулирован)"
    assert rows["Дата окончания действия полиса"]["value"] == "13.01.2024"
    assert rows["Реестровый код СМО"]["value"] == "50006"
    main = {r["label"]: r for r in view["main_attachment"]}
    assert main["Статус прикрепления"]["status"]["name"] == "Действующее подушевое"  # not the policy's ДПП
    assert main["Статус прикрепления"]["status"]["description"].startswith("Устанавливается")
    assert len(view["other_attachments"]) == 1 and view["answered"] and not view["pending"]


def test_error_card_carries_ferzl_message():
    view = views.card_view(
        {
            "id": 1,
            "name": "x",
            "status": "error",
            "created_at": "2026-01-01T00:00:00+00:00",
            "answer": None,
            "error": {"code": "409", "message": "Персона не найдена"},
        }
    )
    assert view["error"]["message"] == "Персона не найдена" and view["policy"] is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("01.06.2026 – 30.06.2026", (date(2026, 6, 1), date(2026, 6, 30))),
        ("30.06.2026 - 01.06.2026", (date(2026, 6, 1), date(2026, 6, 30))),
        ("5.6.2026", (date(2026, 6, 5), date(2026, 6, 5))),
        ("05-06-2026—07-06-2026", (date(2026, 6, 5), date(2026, 6, 7))),
        ("", (None, None)),
    ],
)
def test_period_is_read_in_the_manuals_forms(text, expected):
    assert views.parse_period(text)[:2] == expected


@pytest.mark.parametrize("text", ["вчера", "31.02.2026", "01.01.2026 02.01.2026 03.01.2026", "1.1.2026 и 2.1.2026"])
def test_bad_period_is_explained(text):
    assert views.parse_period(text) == (None, None, messages.PERIOD_FORMAT)


def test_quick_ranges_of_figure_18():
    ranges = {label: (a, b) for label, a, b in views.quick_ranges(date(2026, 3, 15))}
    assert list(ranges) == [
        "Сегодня",
        "Вчера",
        "Последние 7 дней",
        "Последние 30 дней",
        "Этот месяц",
        "Предыдущий месяц",
    ]
    assert ranges["Вчера"] == (date(2026, 3, 14), date(2026, 3, 14))
    assert ranges["Последние 7 дней"] == (date(2026, 3, 9), date(2026, 3, 15))
    assert ranges["Последние 30 дней"] == (date(2026, 2, 14), date(2026, 3, 15))
    assert ranges["Этот месяц"] == (date(2026, 3, 1), date(2026, 3, 31))
    assert ranges["Предыдущий месяц"] == (date(2026, 2, 1), date(2026, 2, 28))
    assert dict((label, (a, b)) for label, a, b in views.quick_ranges(date(2026, 1, 10)))["Предыдущий месяц"] == (
        date(2025, 12, 1),
        date(2025, 12, 31),
    )


def test_journal_query_refuses_a_combined_fio_and_keeps_the_input():
    query = views.journal_query({"fio": "ИВАНОВ АЛЕКСЕЙ", "status": "answered"})
    assert query["errors"] == {"fio": COMBINED_FIO} and "fio" not in query["filters"]
    assert query["form"]["fio"] == "ИВАНОВ АЛЕКСЕЙ" and query["searching"]


def test_journal_query_filters():
    query = views.journal_query(
        {"period": "30.06.2026 - 24.06.2026", "fio": " анастасия ", "status": "error", "page": "3"}
    )
    assert query["filters"] == {
        "date_from": "2026-06-24",
        "date_to": "2026-06-30",
        "fio": "анастасия",
        "status": "error",
    }
    assert query["form"]["period"] == "24.06.2026 – 30.06.2026" and query["page"] == 3
    plain = views.journal_query({"status": "nonsense", "page": "x"})
    assert plain["filters"] == {} and plain["page"] == 1 and not plain["searching"]


def test_pager():
    p = views.pager(3, 25, 1000)
    assert (p["from"], p["to"], p["prev"], p["next"], p["last"]) == (51, 75, 2, 4, 40)
    assert p["links"] == [1, 2, 3, 4, 5, None, 40]
    last = views.pager(2, 25, 26)
    assert (last["from"], last["to"], last["next"]) == (26, 26, None)
    capped = views.pager(400, 25, 10000, exact=False, shown=25)
    assert capped["next"] == 401 and not capped["exact"]
    assert views.pager(1, 25, 0)["from"] == 0


def test_a_period_beyond_the_calendar_is_a_message_not_a_500():
    from services.gateway.pages import views

    assert views.parse_period("31.12.9999") == (None, None, messages.PERIOD_RANGE)
    assert views.parse_period("01.01.1899 – 01.01.2000")[2] == messages.PERIOD_RANGE
    assert views.parse_period("01.01.1900 – 31.12.2099")[2] is None


def test_the_identifier_message_belongs_to_the_whole_group_not_to_oip():
    from services.flk.messages import IDENTITY_REQUIRED, OIP_FORMAT

    errors = views.field_errors([{"field": "oip", "message": IDENTITY_REQUIRED}])
    assert errors == {views.IDENTITY_ERROR: IDENTITY_REQUIRED}
    assert views.field_errors([{"field": "oip", "message": OIP_FORMAT}]) == {"oip": OIP_FORMAT}
