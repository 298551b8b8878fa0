"""One ЕНП lookup from the JSON API through ФЛК, the journal, the bridge and the emulator, and back."""

import pytest
from sqlalchemy import text

from tests.support import wait_for

pytestmark = pytest.mark.integration


def wait_final(stack, request_id, timeout=30):
    def final():
        card = stack.api("GET", f"/api/v1/requests/{request_id}").json()
        return card if card["status"] != "sent" else None

    return wait_for(final, timeout, message=f"request {request_id} to be answered")


def test_found_person_gets_a_full_card(stack):
    person = stack.samples(1)[0]
    r = stack.api("POST", "/api/v1/requests", json={"name": "Мой запрос по ЕНП", "enp": person["enp"]})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "sent" and created["status_label"] == "Отправлен"
    assert r.headers["Location"] == f"/api/v1/requests/{created['id']}"

    card = wait_final(stack, created["id"])
    assert card["status"] == "answered" and card["status_label"] == "Получен Ответ", card
    assert card["name"] == "Мой запрос по ЕНП"
    assert card["params_text"].startswith(f"ЕНП: {person['enp']} По состоянию на дату: ")
    answer = card["answer"]
    assert answer["enp"] == person["enp"]
    policy = answer["policy"]
    for key in ("type", "status", "date_begin", "okato", "smo_name", "smo_ogrn", "smo_code"):
        assert policy[key], key
    assert card["answered_at"] >= card["created_at"]
    for attachment in answer["attachments"]:
        assert attachment["mo_code"] and attachment["status"] and attachment["date_begin"]
        assert attachment["mo_name"], "МО name is resolved from the dictionary"

    listed = stack.api("GET", "/api/v1/requests", params={"status": "answered"}).json()
    assert created["id"] in [i["id"] for i in listed["items"]]


def test_unknown_person_ends_in_error_with_ferzl_message(stack):
    unknown = stack.samples(1, kind="unknown")[0]
    r = stack.api("POST", "/api/v1/requests", json={"name": "нет такого", "enp": unknown["enp"]})
    assert r.status_code == 201, r.text
    card = wait_final(stack, r.json()["id"])
    assert card["status"] == "error" and card["status_label"] == "Ошибка"
    assert card["error"]["message"] and any("а" <= c <= "я" for c in card["error"]["message"].lower())
    assert card["answer"] is None


def test_invalid_enp_is_refused_by_flk_and_nothing_is_stored(stack, engine):
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM requests")).scalar_one()
    r = stack.api("POST", "/api/v1/requests", json={"name": "опечатка", "enp": "5072360829000831"})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "flk"
    assert [e["field"] for e in body["errors"]] == ["enp"]
    assert "16 цифр" in body["errors"][0]["message"] or "контрольн" in body["errors"][0]["message"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM requests")).scalar_one() == before


def test_unknown_request_id_is_404_in_russian(stack):
    r = stack.api("GET", "/api/v1/requests/999999999")
    assert r.status_code == 404 and r.json()["message"] == "Запрос не найден."
