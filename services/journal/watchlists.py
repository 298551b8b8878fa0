"""Watch lists (#22, item 4): the rows of a finished group re-checked weekly or monthly. The schedule lives in the
table (next_run_at), so a restart loses nothing, and any journal copy may run a due list: each run claims its row
with FOR UPDATE SKIP LOCKED, creates the re-check group and moves next_run_at in the same transaction.

Runs fall in the night (01:00–05:00 Moscow), each list at its own minute (by its id), so the lists of a day spread
over four hours; the bridge's shared token bucket (FERZL_RATE_LIMIT) paces the calls and the dispatcher shares
ФЕРЗЛ between the groups in progress. A run asks ФЕРЗЛ for every row (no reuse of fresh answers)."""

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from services.journal import groups
from services.journal.store import Identity
from shared import clock
from shared import params as P

PERIODS = {"weekly": "раз в неделю", "monthly": "раз в месяц"}
NIGHT_START, NIGHT_MINUTES = time(1, 0), 240


class WatchlistError(ValueError):
    """A refused change, with the message for the user."""


def night_slot(list_id: int, day: date) -> datetime:
    """The list's minute of that night, Moscow time."""
    start = datetime.combine(day, NIGHT_START, tzinfo=clock.MOSCOW)
    return start + timedelta(minutes=(list_id * 37) % NIGHT_MINUTES)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def next_run(list_id: int, period: str, after: datetime) -> datetime:
    """The first night slot one period after `after` (a week, or a month)."""
    day = clock.to_moscow(after).date()
    target = day + timedelta(days=7) if period == "weekly" else _add_months(day, 1)
    return night_slot(list_id, target)


def _check_period(period: str) -> str:
    if period not in PERIODS:
        raise WatchlistError("Выберите периодичность: раз в неделю или раз в месяц.")
    return period


def _view(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "period": row["period"],
        "period_label": PERIODS[row["period"]],
        "email": row["email"],
        "paused": row["paused"],
        "filename": row["filename"],
        "total": row["total"],
        "next_run_at": row["next_run_at"].isoformat(),
        "last_run_at": row["last_run_at"].isoformat() if row["last_run_at"] else None,
        "last_group_id": row["last_group_id"],
        "created_at": row["created_at"].isoformat(),
    }


_COLUMNS = "id, name, period, email, paused, filename, total, next_run_at, last_run_at, last_group_id, created_at"


def create(
    conn: Connection, identity: Identity, group_id: int, period: str, email: bool = False, name: str | None = None
) -> dict[str, Any]:
    """A watch list from a finished group of the organisation (its rows in file order)."""
    _check_period(period)
    group = groups.get_group(conn, identity, group_id)
    if group is None:
        raise WatchlistError("Групповой запрос не найден.")
    if not group["finished_at"]:
        raise WatchlistError("Список наблюдения создаётся из завершённого группового запроса.")
    found = conn.execute(
        text("SELECT line_no, params FROM requests WHERE group_id = :g ORDER BY line_no"), {"g": group_id}
    ).all()
    columns = ["line", *P.FIELDS]
    rows = [[r.line_no, *(r.params.get(f) for f in P.FIELDS)] for r in found]
    row = (
        conn.execute(
            text(
                "INSERT INTO watchlists (organization_id, user_id, name, period, email, filename, columns, rows, total, "
                "next_run_at) VALUES (:o, :u, :n, :p, :e, :f, CAST(:c AS jsonb), CAST(:r AS jsonb), :t, now()) "
                f"RETURNING {_COLUMNS}"
            ),
            {
                "o": identity.organization_id,
                "u": identity.user_id,
                "n": (name or group["name"])[:100],
                "p": period,
                "e": bool(email),
                "f": group["filename"],
                "c": json.dumps(columns),
                "r": json.dumps(rows, ensure_ascii=False),
                "t": len(rows),
            },
        )
        .mappings()
        .one()
    )
    _schedule(conn, row["id"], period, clock.now())
    return get(conn, identity, row["id"]) or {}


def _schedule(conn: Connection, list_id: int, period: str, after: datetime) -> None:
    conn.execute(
        text("UPDATE watchlists SET next_run_at = :at WHERE id = :id"),
        {"at": next_run(list_id, period, after), "id": list_id},
    )


def get(conn: Connection, identity: Identity, list_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            text(f"SELECT {_COLUMNS} FROM watchlists WHERE id = :id AND organization_id = :o"),
            {"id": list_id, "o": identity.organization_id},
        )
        .mappings()
        .first()
    )
    return _view(row) if row else None


def list_all(conn: Connection, identity: Identity) -> list[dict[str, Any]]:
    rows = (
        conn.execute(
            text(f"SELECT {_COLUMNS} FROM watchlists WHERE organization_id = :o ORDER BY id DESC"),
            {"o": identity.organization_id},
        )
        .mappings()
        .all()
    )
    return [_view(r) for r in rows]


def update(conn: Connection, identity: Identity, list_id: int, changes: Mapping[str, Any]) -> dict[str, Any] | None:
    """Pause or resume, the period, the e-mail, the name; a new period or a resume reschedules from now."""
    current = get(conn, identity, list_id)
    if current is None:
        return None
    values: dict[str, Any] = {}
    if "period" in changes:
        values["period"] = _check_period(str(changes["period"]))
    for key in ("paused", "email"):
        if key in changes:
            if not isinstance(changes[key], bool):
                raise WatchlistError("Значение должно быть true или false.")
            values[key] = changes[key]
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not name or len(name) > 100:
            raise WatchlistError("Укажите имя списка (до 100 символов).")
        values["name"] = name
    if values:
        sets = ", ".join(f"{k} = :{k}" for k in values)
        conn.execute(text(f"UPDATE watchlists SET {sets} WHERE id = :id"), {**values, "id": list_id})
    if values.get("period", current["period"]) != current["period"] or (
        current["paused"] and not values.get("paused", True)
    ):
        _schedule(conn, list_id, values.get("period", current["period"]), clock.now())
    return get(conn, identity, list_id)


def replace_rows(
    conn: Connection,
    identity: Identity,
    list_id: int,
    filename: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> dict[str, Any] | None:
    """The list's rows from a new file that passed ФЛК (flk.check_group's columns and rows)."""
    if get(conn, identity, list_id) is None:
        return None
    conn.execute(
        text(
            "UPDATE watchlists SET filename = :f, columns = CAST(:c AS jsonb), rows = CAST(:r AS jsonb), total = :t "
            "WHERE id = :id"
        ),
        {
            "f": filename,
            "c": json.dumps(list(columns)),
            "r": json.dumps(rows, ensure_ascii=False),
            "t": len(rows),
            "id": list_id,
        },
    )
    return get(conn, identity, list_id)


def delete(conn: Connection, identity: Identity, list_id: int) -> bool:
    """The list goes; the groups of its earlier runs stay in the group journal."""
    return bool(
        conn.execute(
            text("DELETE FROM watchlists WHERE id = :id AND organization_id = :o"),
            {"id": list_id, "o": identity.organization_id},
        ).rowcount
    )


_CLAIM = text(
    "SELECT id, organization_id, user_id, name, period, filename, columns, rows FROM watchlists "
    "WHERE NOT paused AND next_run_at <= now() ORDER BY next_run_at LIMIT 1 FOR UPDATE SKIP LOCKED"
)


def run_due(conn: Connection) -> dict[str, Any] | None:
    """Run one due list, if any: its re-check group (marked with the list), its next run. Safe beside other
    journal copies (the row stays locked until the caller commits). -> {watchlist_id, group_id} or None."""
    due = conn.execute(_CLAIM).mappings().first()
    if due is None:
        return None
    identity = Identity({"organization_id": due["organization_id"], "user_id": due["user_id"]})
    stamp = clock.now().strftime("%d.%m.%Y")
    created = groups.create_group(
        conn, identity, f"{due['name']} — перепроверка {stamp}"[:100], due["filename"], due["columns"], due["rows"]
    )
    group_id = created["id"] if created else None
    conn.execute(text("UPDATE groups SET watchlist_id = :w WHERE id = :g"), {"w": due["id"], "g": group_id})
    conn.execute(
        text("UPDATE watchlists SET last_run_at = now(), last_group_id = :g, next_run_at = :next WHERE id = :id"),
        {"g": group_id, "next": next_run(due["id"], due["period"], clock.now()), "id": due["id"]},
    )
    return {"watchlist_id": due["id"], "group_id": group_id}
