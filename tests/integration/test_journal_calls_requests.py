"""services.journal.calls.requests on a real PostgreSQL, without a broker: wire arguments in, wire values out."""

import uuid

import pytest
from sqlalchemy import text

from services.journal import store
from services.journal.calls import requests as calls
from shared import clock
from shared.params import FIELDS

pytestmark = pytest.mark.integration

ME = {"user_id": 1, "organization_id": 1}  # as the gateway sends it
STRANGER = {"user_id": 1, "organization_id": 999_999}


def params(name):
    return {f: None for f in FIELDS} | {"name": name, "enp": "5096989785000017", "as_of": "2026-11-26"}


def test_a_request_is_created_read_and_listed_for_its_organisation_only(quiet_engine):
    name = "ВЫЗОВ-" + uuid.uuid4().hex[:6]
    created = calls.create_request(quiet_engine, ME, params(name))
    assert (created["status"], created["status_label"]) == ("sent", "Отправлен")
    card = calls.get_request(quiet_engine, ME, str(created["id"]))  # ids may arrive as strings
    assert (card["id"], card["name"]) == (created["id"], name)
    assert calls.get_request(quiet_engine, STRANGER, created["id"]) is None
    today = clock.today().isoformat()
    page = calls.list_requests(quiet_engine, ME, {"date_from": today, "date_to": today, "mine": True}, "1", "500")
    assert created["id"] in [item["id"] for item in page["items"]]
    assert (page["page"], page["per_page"]) == (1, 500)
    assert calls.list_requests(quiet_engine, STRANGER)["items"] == []
    assert calls.count_recent_requests(quiet_engine, ME, 60) >= 1


def test_a_user_cannot_create_for_another_organisation(quiet_engine):
    name = "ЧУЖОЙ-" + uuid.uuid4().hex[:6]
    with pytest.raises(store.IdentityMismatch, match="не состоит в организации"):
        calls.create_request(quiet_engine, {"user_id": 1, "organization_id": 999_999}, params(name))
    with quiet_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM requests WHERE name = :n"), {"n": name}).scalar() == 0


def test_a_captcha_answers_once(quiet_engine):
    captcha_id = calls.captcha_issue(quiet_engine, "hash-1", "60")
    assert calls.captcha_check(quiet_engine, captcha_id, "hash-1") is True
    assert calls.captcha_check(quiet_engine, captcha_id, "hash-1") is False
    wrong = calls.captcha_issue(quiet_engine, "hash-2", 60)
    assert calls.captcha_check(quiet_engine, wrong, "hash-3") is False
    assert calls.captcha_check(quiet_engine, "not-a-uuid", "hash-2") is False
