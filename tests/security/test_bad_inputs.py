"""Issue 17 §3: inputs that answered 500 get a 4xx with a Russian message and change nothing; names refuse NUL,
CR/LF and bidi controls; the file name of a download is sanitised."""

import re
from urllib.parse import unquote

import pytest
from sqlalchemy import text

from tests.group_support import by_enp, file_bytes, upload

pytestmark = pytest.mark.integration

CYRILLIC = re.compile("[А-Яа-яЁё]")


@pytest.fixture(scope="module")
def enp(stack):
    return stack.samples(1)[0]["enp"]


def json_post(stack, body):
    return stack.api(
        "POST", "/api/v1/requests", data=body.encode("utf-8"), headers={"Content-Type": "application/json"}
    )


def russian_4xx(r):
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    message = r.json()["message"] if r.headers["Content-Type"].startswith("application/json") else r.text
    assert CYRILLIC.search(message), message
    return r


def cases(stack, enp):
    nested = "[" * 100000 + "]" * 100000
    yield "deeply nested JSON", json_post(stack, nested[:900000])
    yield "deeply nested field", json_post(stack, '{"name": ' + "[" * 5000 + "]" * 5000 + "}")
    yield "page=10^30", stack.api("GET", "/api/v1/requests", params={"page": "1" + "0" * 30})
    yield "groups page=10^30", stack.api("GET", "/api/v1/groups", params={"page": "1" + "0" * 30})
    yield "date_to=9999-12-31", stack.api("GET", "/api/v1/requests", params={"date_to": "9999-12-31"})
    yield "groups date_to=9999-12-31", stack.api("GET", "/api/v1/groups", params={"date_to": "9999-12-31"})
    yield "lone surrogate", json_post(stack, f'{{"name": "\\ud800", "enp": "{enp}"}}')
    yield "NUL in a group name", upload(stack, "группа\x00", file_bytes([by_enp("x", {"enp": enp})]))
    yield "NUL in Idempotency-Key", upload(stack, "группа", file_bytes([by_enp("x", {"enp": enp})]), key="k\x00")


@pytest.mark.parametrize("index", range(9))
def test_inputs_that_answered_500_get_a_russian_4xx(stack, enp, index):
    what, r = list(cases(stack, enp))[index]
    russian_4xx(r)


def test_pages_with_a_period_beyond_the_calendar_say_so(stack):
    for path in ("/journal", "/group/journal"):
        r = stack.api("GET", path, params={"period": "31.12.9999"})
        assert r.status_code == 200 and "с 01.01.1900 по 31.12.2099" in r.text, path
    r = stack.anonymous("GET", "/login", params={"next": "/journal?page=" + "9" * 40})
    assert r.status_code == 200


@pytest.mark.parametrize(
    "name",
    ["до\x00после", "до\r\nпосле", "до\nпосле", "abc\u202egsc.exe", "до\u2066после"],
    ids=["NUL", "CRLF", "LF", "RLO", "LRI"],
)
def test_names_refuse_nul_line_breaks_and_bidi_controls(stack, enp, name):
    single = stack.api("POST", "/api/v1/requests", json={"name": name, "enp": enp})
    assert single.status_code == 422 and single.json()["errors"][0]["field"] == "name", single.text
    group = upload(stack, name, file_bytes([by_enp("x", {"enp": enp})]))
    assert group.status_code == 422 and group.json()["errors"][0]["field"] == "name", group.text


def test_the_download_name_is_sanitised(stack, enp, engine):
    created = upload(stack, "Ответ", file_bytes([by_enp("x", {"enp": enp})]), filename="спи\x00сок\u202e.csv")
    assert created.status_code == 202, created.text
    group_id = created.json()["id"]
    with engine.begin() as conn:  # a name stored before names were checked
        conn.execute(
            text("UPDATE groups SET name = :n WHERE id = :id"),
            {"n": "Ответ\u202e\r\nSet-Cookie: x=1/..\\evil", "id": group_id},
        )
        filename = conn.execute(text("SELECT filename FROM groups WHERE id = :id"), {"id": group_id}).scalar_one()
    assert filename == "список.csv"
    r = stack.api("GET", f"/api/v1/groups/{group_id}/export.csv")
    disposition = r.headers["Content-Disposition"]
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    shown = unquote(disposition.split("filename*=UTF-8''")[1])
    assert shown == "ОтветSet-Cookie x=1..evil.csv", shown
    assert not re.search("[\x00-\x1f\u202a-\u202e\u2066-\u2069]", shown)
