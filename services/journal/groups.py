"""Group requests (manual §5): creation in one transaction, counters, status, journal, export pages."""

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from services.journal import reuse
from services.journal.store import Identity, where_created
from shared import params as P
from shared.domain import Answer
from shared.status import ANSWERED, ERROR, SENT, group_label

INSERT_BATCH = 5_000


def group_status(total: int, answered: int, failed: int) -> str:
    """«Отправлен» while rows wait; then «Ошибка» if ФЕРЗЛ answered no row at all, else «Получен ответ»."""
    if answered + failed < total:
        return SENT
    return ERROR if total and answered == 0 else ANSWERED


def create_group(
    conn: Connection,
    identity: Identity,
    name: str,
    filename: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    encoding: str | None = None,
    idempotency_key: str | None = None,
    reuse_minutes: float = 0,
) -> dict[str, Any] | None:
    """Insert the group and all its requests (rows as lists in `columns` order, from flk.check_group); rows of a
    person answered within `reuse_minutes` are answered from that answer (services/journal/reuse.py).
    A repeated idempotency key returns the group created the first time."""
    if idempotency_key:
        found = _by_key(conn, identity, idempotency_key)
        if found:
            return found
    group_id = conn.execute(
        text(
            "INSERT INTO groups (organization_id, user_id, name, filename, total, encoding, idempotency_key) "
            "VALUES (:o, :u, :n, :f, :t, :e, :k) "
            "ON CONFLICT (organization_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id"
        ),
        {
            "o": identity.organization_id,
            "u": identity.user_id,
            "n": name,
            "f": filename,
            "t": len(rows),
            "e": encoding,
            "k": idempotency_key,
        },
    ).scalar_one_or_none()
    if group_id is None:  # a concurrent upload with the same key committed first
        return _by_key(conn, identity, idempotency_key)
    insert = text(
        "INSERT INTO requests (organization_id, user_id, group_id, line_no, name, params, fio_search, person_key) "
        "SELECT :o, :u, :g, r.line_no, r.name, r.params, r.fio, r.key FROM jsonb_to_recordset(CAST(:data AS jsonb)) "
        "AS r(line_no int, name text, params jsonb, fio text, key text)"
    )
    for start in range(0, len(rows), INSERT_BATCH):
        batch = _records(columns, rows[start : start + INSERT_BATCH])
        conn.execute(
            insert,
            {
                "o": identity.organization_id,
                "u": identity.user_id,
                "g": group_id,
                "data": json.dumps(batch, ensure_ascii=False),
            },
        )
    conn.execute(
        text("INSERT INTO request_history (request_id, event) SELECT id, 'created' FROM requests WHERE group_id = :g"),
        {"g": group_id},
    )
    reused = reuse.reuse_in_group(conn, group_id, reuse_minutes)
    return {"id": group_id, "total": len(rows), "repeated": False, "reused": reused}


def _by_key(conn: Connection, identity: Identity, idempotency_key: str | None) -> dict[str, Any] | None:
    found = conn.execute(
        text("SELECT id, total FROM groups WHERE organization_id = :o AND idempotency_key = :k"),
        {"o": identity.organization_id, "k": idempotency_key},
    ).first()
    return {"id": found.id, "total": found.total, "repeated": True} if found else None


def _records(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows as flk.check_group sends them -> records for the insert (COPY is not available under eventlet's
    green psycopg2, and one JSON parameter per batch is as quick)."""
    out = []
    for values in rows:
        record = dict(zip(columns, values))
        params = {f: record.get(f) for f in P.FIELDS}
        out.append(
            {
                "line_no": record["line"],
                "name": params["name"] or "",
                "params": params,
                "fio": P.fio_search_key(params),
                "key": reuse.person_key(params),
            }
        )
    return out


def _group(row: RowMapping) -> dict[str, Any]:
    status = group_status(row["total"], row["answered"], row["failed"])
    return {
        "id": row["id"],
        "name": row["name"],
        "filename": row["filename"],
        "created_at": row["created_at"].isoformat(),
        "total": row["total"],
        "answered": row["answered"],
        "failed": row["failed"],
        "received": row["answered"] + row["failed"],
        "reused": row["reused"],
        "watchlist_id": row["watchlist_id"],
        "status": status,
        "status_label": group_label(status),
        "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
    }


def get_group(conn: Connection, identity: Identity, group_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            text("SELECT * FROM groups WHERE id = :g AND organization_id = :o"),
            {"g": group_id, "o": identity.organization_id},
        )
        .mappings()
        .first()
    )
    return _group(row) if row else None


def list_groups(
    conn: Connection,
    identity: Identity,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """Groups of the organisation, newest first (the page defaults to the last 30 days)."""
    where = ["organization_id = :o"]
    args: dict[str, Any] = {"o": identity.organization_id}
    where_created(where, args, date_from, date_to)
    clause = " AND ".join(where)
    total: int = conn.execute(text(f"SELECT count(*) FROM groups WHERE {clause}"), args).scalar_one()
    rows = (
        conn.execute(
            text(f"SELECT * FROM groups WHERE {clause} ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset"),
            {**args, "limit": per_page, "offset": (max(page, 1) - 1) * per_page},
        )
        .mappings()
        .all()
    )
    return {
        "items": [_group(r) for r in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
        "in_progress": conn.execute(
            text("SELECT count(*) FROM groups WHERE organization_id = :o AND finished_at IS NULL"), args
        ).scalar_one(),
    }


def take_finished_notices(conn: Connection, identity: Identity) -> list[dict[str, Any]]:
    """Groups of this user that finished and were not announced yet; marks them announced (once per group)."""
    rows = (
        conn.execute(
            text(
                "UPDATE groups SET notified_at = now() WHERE organization_id = :o AND user_id = :u "
                "AND finished_at IS NOT NULL AND notified_at IS NULL RETURNING id, name, watchlist_id, total"
            ),
            {"o": identity.organization_id, "u": identity.user_id},
        )
        .mappings()
        .all()
    )
    out = []
    for r in sorted(rows, key=lambda r: r["id"]):
        notice = {"id": r["id"], "name": r["name"]}
        if r["watchlist_id"] is not None:  # a watch list's re-check (#22): how many people changed
            notice.update(recheck=True, total=r["total"], changed=changed_count(conn, r["id"]))
        out.append(notice)
    return out


def changed_count(conn: Connection, group_id: int) -> int:
    """Rows of a group whose answer changed since this organisation's previous check (#22)."""
    return conn.execute(
        text("SELECT count(*) FROM requests WHERE group_id = :g AND jsonb_array_length(changes_since->'fields') > 0"),
        {"g": group_id},
    ).scalar_one()


POLICY_FIELDS = ("enp", "date_begin", "date_end", "type", "status", "okato", "smo_name", "smo_ogrn", "smo_code")
_EXPORT_SQL = (
    "SELECT r.line_no, r.name, r.created_at, r.status, r.error_message, r.answered_at, r.answer->>'enp', "
    "jsonb_typeof(r.answer->'policy') = 'object', "
    + ", ".join(f"r.answer->'policy'->>'{f}'" for f in POLICY_FIELDS)
    + ", r.answer->'attachments', r.answer->'mismatch' "
    "FROM requests r JOIN groups g ON g.id = r.group_id "
    "WHERE r.group_id = :g AND g.organization_id = :o AND r.line_no > :after ORDER BY r.line_no LIMIT :limit"
)


def export_page(
    conn: Connection, identity: Identity, group_id: int, after_line: int = 0, limit: int = 5000
) -> list[dict[str, Any]]:
    """Requests of a group in file order, after a line number: the export streams page by page.
    Each as shared.export.row takes it; of the answer only what the file shows (PostgreSQL picks the fields:
    decoding whole answers in Python was a third of an export)."""
    # Walk the (group_id, line_no) index in order. Without fresh statistics (a group just created) the planner
    # otherwise sorts every remaining row of the group, answers included, for each page: 100,000 rows took 4.6 s.
    conn.execute(text("SET LOCAL enable_sort = off"))
    rows = conn.execute(
        text(_EXPORT_SQL), {"g": group_id, "o": identity.organization_id, "after": after_line, "limit": limit}
    ).all()
    return [
        {
            "line_no": r[0],
            "name": r[1],
            "created_at": r[2],
            "status": r[3],
            "error_message": r[4],
            "answered_at": r[5],
            "answer": Answer.from_dict(
                {
                    "enp": r[6],
                    "policy": dict(zip(POLICY_FIELDS, r[8:17])) if r[7] else None,
                    "attachments": r[17],
                    "mismatch": r[18],
                }
            ),
        }
        for r in rows
    ]
