"""Group requests in the journal on a real PostgreSQL."""

import pytest
from sqlalchemy import text

from services.journal import groups, store
from shared import export
from shared.domain import Outcome
from shared.params import FIELDS

pytestmark = pytest.mark.integration

ME = store.Identity(user_id=1, organization_id=1)
COLUMNS = ["line", *FIELDS]


def rows(*enps):
    out = []
    for i, enp in enumerate(enps):
        values = {f: None for f in FIELDS} | {"name": f"RQ{i + 1}", "enp": enp, "as_of": "2026-11-26"}
        out.append([i + 2, *[values[f] for f in FIELDS]])
    return out


def outcome(request_id, status="answered", message=None, **extra):
    return Outcome.from_dict(
        {
            "request_id": request_id,
            "status": status,
            "answered_at": "2026-11-26T10:00:00+00:00",
            "answer": {"enp": "1", "policy": None, "attachments": []} if status == "answered" else None,
            "error_code": "409" if message else None,
            "error_message": message,
            **extra,
        }
    )


def test_group_lifecycle(quiet_engine):
    with quiet_engine.begin() as conn:
        created = groups.create_group(
            conn,
            ME,
            "Групповой запрос №1",
            "группа.csv",
            COLUMNS,
            rows("5096989785000017", "5036162381095335", "1111111111111117"),
            encoding="cp1251",
            idempotency_key="key-1",
        )
        again = groups.create_group(
            conn, ME, "повтор", "группа.csv", COLUMNS, rows("5096989785000017"), idempotency_key="key-1"
        )
    assert created["total"] == 3 and not created["repeated"]
    assert again == {"id": created["id"], "total": 3, "repeated": True}
    gid = created["id"]
    with quiet_engine.connect() as conn:
        ids = (
            conn.execute(text("SELECT id FROM requests WHERE group_id = :g ORDER BY line_no"), {"g": gid})
            .scalars()
            .all()
        )
        card = store.get_card(conn, ME, ids[0])
        group = groups.get_group(conn, ME, gid)
    assert len(ids) == 3 and card["line_no"] == 2 and card["name"] == "RQ1" and card["group_id"] == gid
    assert (group["status"], group["status_label"], group["received"]) == ("sent", "Отправлен", 0)

    with quiet_engine.begin() as conn:
        first = store.store_outcomes(conn, [outcome(ids[0]), outcome(ids[1], "error", "Персона не найдена")])
        assert groups.take_finished_notices(conn, ME) == [] and first["groups"] == []
        assert store.store_outcomes(conn, [outcome(ids[2])])["groups"] == [gid]  # the last row finished it
        assert store.store_outcomes(conn, [outcome(ids[2])])["groups"] == []  # a repeat finishes nothing again
        group = groups.get_group(conn, ME, gid)
        notices = groups.take_finished_notices(conn, ME)
        assert groups.take_finished_notices(conn, ME) == []  # once per group
    assert (group["status_label"], group["answered"], group["failed"], group["received"]) == ("Получен ответ", 2, 1, 3)
    assert group["finished_at"] and {"id": gid, "name": "Групповой запрос №1"} in notices

    with quiet_engine.connect() as conn:
        first = groups.export_page(conn, ME, gid, 0, 2)
        rest = groups.export_page(conn, ME, gid, first[-1]["line_no"], 2)
        journal = store.list_requests(conn, ME, {"group_id": gid})
        other = store.Identity(user_id=1, organization_id=999)
        assert groups.get_group(conn, other, gid) is None and groups.export_page(conn, other, gid) == []
    assert [r["line_no"] for r in first + rest] == [2, 3, 4]
    assert export.row(first[1])[3] == "Ошибка: Персона не найдена"
    assert journal["total"] == 3
    assert [r["line_no"] for r in journal["items"]] == [2, 3, 4], "one group's journal keeps the file's order"


def test_status_rules():
    assert groups.group_status(3, 1, 1) == "sent"
    assert groups.group_status(3, 1, 2) == "answered"
    assert groups.group_status(3, 0, 3) == "error"


def test_list_groups_newest_first(quiet_engine):
    with quiet_engine.begin() as conn:
        a = groups.create_group(conn, ME, "А", "a.csv", COLUMNS, rows("5096989785000017"))["id"]
        b = groups.create_group(conn, ME, "Б", "b.csv", COLUMNS, rows("5096989785000017"))["id"]
    with quiet_engine.connect() as conn:
        listed = groups.list_groups(conn, ME, per_page=500)
    order = [g["id"] for g in listed["items"] if g["id"] in (a, b)]
    assert order == [b, a] and listed["in_progress"] >= 2


def test_export_page_reads_the_same_cells_as_the_whole_answer(quiet_engine):
    policy = {
        "enp": "5096989785000017",
        "date_begin": "2020-01-01",
        "date_end": None,
        "type": "П",
        "status": "ДПП",
        "okato": "46000",
        "smo_name": "=СМО «Тест»",
        "smo_ogrn": "1027700000000",
        "smo_code": "50001",
        "unshown": "x",
    }
    attachments = [
        {"status": s, "mo_code": f"50010{n}", "mo_name": f"ГБУЗ МО Тест {n}", "date_begin": "2021-02-03"}
        for n, s in enumerate(["ДПП", "НСД", "ДНП", "ДПП", "ДПП"])
    ]
    answer = {"oip": "1", "enp": policy["enp"], "policy": policy, "attachments": attachments}
    with quiet_engine.begin() as conn:
        gid = groups.create_group(conn, ME, "Полный ответ", "p.csv", COLUMNS, rows(policy["enp"]))["id"]
        rid = conn.execute(text("SELECT id FROM requests WHERE group_id = :g"), {"g": gid}).scalar_one()
        store.store_outcomes(conn, [outcome(rid, answer=answer)])
    with quiet_engine.connect() as conn:
        page = groups.export_page(conn, ME, gid)
        whole = (
            conn.execute(
                text(
                    "SELECT line_no, name, created_at, status, error_message, answer, answered_at "
                    "FROM requests WHERE id = :id"
                ),
                {"id": rid},
            )
            .mappings()
            .one()
        )
    cells = export.row(page[0])
    assert cells == export.row(dict(whole))
    assert cells[10] == "'=СМО «Тест»" and cells[14] == "500100" and cells[18] == "500102" and cells[22] == "500103"
