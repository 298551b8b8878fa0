"""services.journal.calls.groups on a real PostgreSQL, without a broker."""

import uuid

import pytest
from sqlalchemy import text

from services.journal import store
from services.journal.calls import groups as calls
from shared import clock
from shared.domain import Outcome
from shared.params import FIELDS

pytestmark = pytest.mark.integration

ME = {"user_id": 1, "organization_id": 1}
STRANGER = {"user_id": 1, "organization_id": 999_999}
COLUMNS = ["line", *FIELDS]


def rows(count):
    values = {f: None for f in FIELDS} | {"enp": "5096989785000017", "as_of": "2026-11-26"}
    return [[n + 2, *[(values | {"name": f"RQ{n + 1}"})[f] for f in FIELDS]] for n in range(count)]


def test_a_group_is_created_once_listed_and_exported(quiet_engine):
    key = uuid.uuid4().hex
    created = calls.create_group(quiet_engine, ME, "Группа", "группа.csv", COLUMNS, rows(3), "utf-8", key)
    assert (created["total"], created["repeated"]) == (3, False)
    again = calls.create_group(quiet_engine, ME, "Группа", "группа.csv", COLUMNS, rows(3), "utf-8", key)
    assert again == {"id": created["id"], "total": 3, "repeated": True}
    gid = str(created["id"])
    assert calls.get_group(quiet_engine, ME, gid)["status"] == "sent"
    assert calls.get_group(quiet_engine, STRANGER, gid) is None
    today = clock.today().isoformat()
    listed = calls.list_groups(quiet_engine, ME, today, today, "1", "100")
    assert created["id"] in [g["id"] for g in listed["items"]] and listed["in_progress"] >= 1

    cells = calls.export_page(quiet_engine, ME, gid, "2", "10")
    assert [r["line_no"] for r in cells] == [3, 4] and cells[0]["cells"][:2] == ["3", "RQ2"]
    csv = calls.export_page(quiet_engine, ME, gid, 0, 2, form="csv")
    assert [r["line_no"] for r in csv] == [2, 3] and csv[0]["csv"].startswith("2;RQ1;")
    assert calls.export_page(quiet_engine, STRANGER, gid) == []


def test_a_user_cannot_create_a_group_for_another_organisation(quiet_engine):
    with pytest.raises(store.IdentityMismatch):
        calls.create_group(quiet_engine, STRANGER, "Чужая", "группа.csv", COLUMNS, rows(2), "utf-8", None)
    with quiet_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM groups WHERE name = 'Чужая'")).scalar() == 0


def test_finished_groups_are_announced_once(quiet_engine):
    created = calls.create_group(quiet_engine, ME, "Готовая", "готовая.csv", COLUMNS, rows(1))
    outcome = {"status": "error", "answered_at": "2026-11-26T10:00:00+00:00", "error_message": "нет"}
    with quiet_engine.begin() as conn:
        request_id = conn.execute(text("SELECT id FROM requests WHERE group_id = :g"), {"g": created["id"]}).scalar()
        store.store_outcomes(conn, [Outcome.from_dict({"request_id": request_id, "error_code": "x", **outcome})])
    notices = calls.take_finished_notices(quiet_engine, ME)
    assert {"id": created["id"], "name": "Готовая"} in notices
    assert created["id"] not in [n["id"] for n in calls.take_finished_notices(quiet_engine, ME)]
