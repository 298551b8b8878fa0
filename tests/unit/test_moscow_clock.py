"""One clock (issue 16): at 00:30 and 23:30 Moscow time, with the process in UTC, UTC+14 and UTC−12, the form
default, ФЛК, group rows, journal periods, exports and the ФЕРЗЛ emulator all go by the Moscow date."""

import os
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from werkzeug.test import Client

from services.certmail.rules import moscow_time
from services.ferzl_emulator import soap
from services.ferzl_emulator.server import Emulator
from services.flk import messages as M
from services.flk.group import COLUMNS, check_group
from services.flk.rules import check_request
from services.gateway.pages import views
from services.journal import store
from shared import clock, export
from tests.unit.test_emulator_server import REGISTER, TOKEN, post
from tests.unit.test_gateway_pages import Pages
from tests.unit.test_gateway_pages import request as page_request

ENP = "5096989785000017"  # synthetic, Luhn-valid
MOMENTS = {
    "00:30": datetime(2026, 7, 1, 0, 30, tzinfo=clock.MOSCOW),  # UTC and UTC−12 are still on 30.06
    "23:30": datetime(2026, 6, 30, 23, 30, tzinfo=clock.MOSCOW),
}  # UTC+14 is already on 01.07
ZONES = {"UTC": 0, "Pacific/Kiritimati": 14, "Etc/GMT+12": -12}  # TZ -> its UTC offset in hours


@pytest.fixture(params=[(t, z) for t in MOMENTS for z in ZONES], ids=lambda p: f"{p[0]}MSK-{p[1]}")
def moment(request):
    """The Moscow moment the clock is pinned at, with the process's TZ set to another zone."""
    when, zone = request.param
    saved = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        # a timestamp, not a ZoneInfo datetime: time-machine would otherwise set TZ to Moscow itself
        with time_machine.travel(MOMENTS[when].timestamp(), tick=False):
            assert time.localtime().tm_gmtoff == ZONES[zone] * 3600
            assert date.today() == MOMENTS[when].astimezone(ZoneInfo(zone)).date()  # the local date a bug would use
            yield MOMENTS[when]
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def individual(**fields):
    return check_request({"name": "RQ", "enp": ENP, **fields})


def test_the_clock_answers_in_moscow_time(moment):
    assert clock.now() == moment and clock.now().utcoffset() == timedelta(hours=3)
    assert clock.today() == moment.date()
    assert clock.day_start(moment.date()) == moment - timedelta(hours=moment.hour, minutes=moment.minute)


def test_the_form_default_is_accepted_by_flk(moment):
    values = views.blank_form(clock.today()) | {"name": "RQ", "enp": ENP}
    result = check_request(values)
    assert result["ok"], result["errors"]
    assert result["normalized"]["as_of"] == moment.date().isoformat()


def test_the_form_page_offers_the_moscow_date(moment):
    html = Pages().individual_form(page_request()).get_data(as_text=True)
    assert f'value="{moment:%d-%m-%Y}" class="js-date" data-max="{moment.date().isoformat()}"' in html


@pytest.mark.parametrize(
    "field, message", [("as_of", M.AS_OF_FUTURE), ("birth_date", M.BIRTH_FUTURE)], ids=["as_of", "birth_date"]
)
def test_today_is_accepted_and_tomorrow_refused(moment, field, message):
    today, tomorrow = moment.date(), moment.date() + timedelta(days=1)
    for text in (f"{today:%d-%m-%Y}", f"{today:%d.%m.%Y}", today.isoformat()):
        assert individual(**{field: text})["ok"], text
    assert individual(**{field: f"{tomorrow:%d.%m.%Y}"})["errors"] == [{"field": field, "message": message}]


def group_file(*as_of_dates):
    rows = [";".join(["RQ", "", ENP] + [""] * 12 + [as_of]) for as_of in as_of_dates]
    return ("\r\n".join([";".join(COLUMNS), *rows]) + "\r\n").encode()


def test_group_rows_go_by_the_moscow_date(moment):
    today = moment.date()
    result = check_group(group_file("", f"{today:%d.%m.%Y}"))
    assert result["ok"], result["errors"]
    assert [r["as_of"] for r in result["rows"]] == [today.isoformat()] * 2  # an empty date is Moscow today
    refused = check_group(group_file(f"{today + timedelta(days=1):%d.%m.%Y}"))
    assert [e["message"] for e in refused["errors"]] == [M.AS_OF_FUTURE]


def created_bounds(period_text):
    """The journal page's period text -> the created_at bounds the store queries with."""
    filters = views.journal_query({"period": period_text})["filters"]
    where, args = [], {}
    store.where_created(where, args, store.parse_date(filters["date_from"]), store.parse_date(filters["date_to"]))
    assert where == ["created_at >= :start", "created_at < :end"]
    return args["start"], args["end"]


def moscow_midnight_in_utc(day):
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=3)  # MSK = UTC+3


@pytest.mark.parametrize("label, days", [("Сегодня", 1), ("Последние 30 дней", 30)])
def test_journal_periods_end_at_moscow_midnight(moment, label, days):
    today = moment.date()
    first, last = {name: (a, b) for name, a, b in views.quick_ranges(clock.today())}[label]
    assert (first, last) == (today - timedelta(days=days - 1), today)
    start, end = created_bounds(views.period_text(first, last))
    assert start == moscow_midnight_in_utc(first) and end == moscow_midnight_in_utc(today + timedelta(days=1))
    assert start <= clock.now() < end  # a request made just now is found
    assert not start <= clock.day_start(first) - timedelta(microseconds=1) < end


def test_the_group_journal_shows_the_last_30_moscow_days(moment):
    today = moment.date()
    query = views.group_journal_query({}, clock.today())
    assert query["filters"] == {"date_from": (today - timedelta(days=29)).isoformat(), "date_to": today.isoformat()}


def test_exports_and_pages_show_moscow_time(moment):
    instant = moment.astimezone(UTC)
    assert export.format_moment(instant.isoformat()) == f"{moment:%d.%m.%Y %H:%M}"
    assert export.format_moment(instant.replace(tzinfo=None)) == f"{moment:%d.%m.%Y %H:%M}"  # naive = UTC
    assert views.datetime_text(instant.isoformat()) == f"{moment:%d.%m.%Y %H:%M}"
    assert moscow_time(instant) == f"{moment:%d.%m.%Y %H:%M:%S}"


def test_the_ferzl_emulator_answers_on_the_moscow_date(moment, monkeypatch):
    asked = []
    respond = soap.respond
    monkeypatch.setattr(
        soap, "respond", lambda register, call, today, *api: asked.append(today) or respond(register, call, today, *api)
    )
    assert post(Client(Emulator(REGISTER, TOKEN))).status_code == 200
    assert asked == [moment.date()]
