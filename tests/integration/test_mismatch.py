"""Policy found, but ФИО/ДР differ (#22, item 2): through the stack (the birth date beside an ЕНП is not sent to
ФЕРЗЛ, the register's person is compared), the API card, the card page, the group export (26 columns, the note in
the status column); a ФИО difference stored by the journal shows the same way."""

from datetime import date, timedelta

import pytest

from services.journal import store as S
from shared.domain import Answer, Outcome, Policy
from shared.params import FIELDS
from tests import group_support as G
from tests.integration.test_reuse import wait_final

pytestmark = pytest.mark.integration

NOTE = "Полис найден, но ФИО/дата рождения отличаются: дата рождения"


def shifted(iso):
    return (date.fromisoformat(iso) + timedelta(days=1)).isoformat()


def test_a_different_birth_date_is_answered_with_the_note(stack):
    person = stack.samples(1)[0]
    wrong = stack.api(
        "POST",
        "/api/v1/requests",
        json={"name": "ДР", "enp": person["enp"], "birth_date": shifted(person["birth_date"])},
    )
    right = stack.api(
        "POST", "/api/v1/requests", json={"name": "ДР", "enp": person["enp"], "birth_date": person["birth_date"]}
    )
    assert wrong.status_code == right.status_code == 201, wrong.text
    card, same = wait_final(stack, wrong.json()["id"]), wait_final(stack, right.json()["id"])
    assert (card["status"], card["status_label"], card["mismatch"]) == ("answered", "Получен Ответ", ["birth_date"])
    assert card["answer"]["policy"] == same["answer"]["policy"]  # the policy is shown all the same
    assert same["mismatch"] == []
    page = stack.api("GET", f"/individual/{card['id']}").text
    assert NOTE in page and "Получен Ответ" in page
    assert "отличаются" not in stack.api("GET", f"/individual/{same['id']}").text


def test_the_export_keeps_26_columns_and_says_it_in_the_status(stack):
    a, b = stack.samples(2)
    day = lambda iso: date.fromisoformat(iso).strftime("%d.%m.%Y")  # noqa: E731
    rows = [
        G.row("RQ1", enp=a["enp"], birth_date=day(shifted(a["birth_date"]))),
        G.row("RQ2", enp=b["enp"], birth_date=day(b["birth_date"])),
    ]
    r = G.upload(stack, "сверка ДР", G.file_bytes(rows))
    assert r.status_code == 202, r.text
    group = G.finished(stack, r.json()["id"])
    assert group["answered"] == 2
    _, cells = G.read_csv(stack.api("GET", f"/api/v1/groups/{group['id']}/export.csv").content)
    assert all(len(line) == 26 for line in cells)
    assert cells[1][3] == "Получен Ответ: " + NOTE
    assert cells[2][3] == "Получен Ответ"
    assert cells[1][4] == a["enp"]  # the policy is exported


def test_a_fio_difference_stored_by_the_journal_is_named(quiet_engine):
    me = S.Identity({"user_id": 1, "organization_id": 1})
    params = {f: None for f in FIELDS} | {"name": "ФИО", "enp": "5000000000000010", "surname": "ПРЕЖНЯЯ"}
    with quiet_engine.begin() as conn:
        created = S.create_request(conn, me, params)
        policy = Policy("П", None, None, "5000000000000010", "1", "2020-01-01", None, "46000", "СМО", "1", "50001")
        answer = Answer("123456789012", policy, (), ("surname",))
        S.store_outcomes(conn, [Outcome.answered(created["id"], answer, "2026-12-04T10:00:00+00:00")])
        card = S.get_card(conn, me, created["id"])
    assert (card["status"], card["mismatch"]) == ("answered", ["surname"])
