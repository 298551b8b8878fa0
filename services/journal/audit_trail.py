"""The audit trail an administrator or auditor reads: lookups (the requests table: who asked about a person, when,
by which kind of identifier — never the identifier), logins and refusals, directory changes, archive reads, certificate
mail; filtered by period, user, organisation and action, and searchable by a person's identifier, which is matched
against the stored requests (expression indexes of migration 0011_wt23) and never shown. Also the retention purge.
Plain functions over a SQLAlchemy connection."""

import re
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

# action filter -> the audit actions it covers (LIKE patterns); "lookup" reads the requests table
ACTIONS: dict[str, tuple[str, ...]] = {
    "lookup": (),
    "login": ("login.%",),
    "refused": ("login.refused", "admin.refused"),
    "directory": ("directory.%",),
    "archive": ("archive_show", "audit.request_read"),
    "mail": ("mail.%", "certmail.%", "quarantine.%"),
}
# the identifying fields of a request, in the order the kinds are listed
IDENTIFIERS = ("enp", "snils", "oip", "dpfs_number", "vs_number", "dul_number")
PURGE_LOCK = 230_111  # pg advisory lock: one journal copy purges at a time
PURGE_BATCH = 10_000

_KINDS_SQL = (
    "array_remove(ARRAY["
    + ", ".join(f"CASE WHEN coalesce(r.params->>'{f}', '') <> '' THEN '{f}' END" for f in IDENTIFIERS)
    + ", CASE WHEN coalesce(r.params->>'surname', '') <> '' THEN 'fio' END], NULL)"
)


def person_condition(identifier: str | None) -> tuple[str, dict[str, Any]] | None:
    """SQL matching requests about the person with this identifier: 16 digits an ЕНП, 11 digits a СНИЛС (both by
    their indexes), anything else a policy, ВС, ОИП or ДУЛ number. None when nothing is asked."""
    value = (identifier or "").strip()
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    if re.fullmatch(r"[\d\s-]+", value) and len(digits) == 16:
        return "(r.params->>'enp' = :person OR r.params->>'dpfs_number' = :person)", {"person": digits}
    if re.fullmatch(r"[\d\s-]+", value) and len(digits) == 11:
        return "r.params->>'snils' = :person", {"person": digits}
    compact = value.replace(" ", "")
    return (
        "(r.params->>'oip' = :person OR r.params->>'dpfs_number' = :person OR r.params->>'vs_number' = :person "
        "OR r.params->>'dul_number' = :person)",
        {"person": compact},
    )


def _parts(filters: dict[str, Any]) -> tuple[list[str], list[str], dict[str, Any]]:
    """(request conditions, audit conditions, params) of the filters."""
    req: list[str] = []
    aud: list[str] = []
    params: dict[str, Any] = {}
    if filters.get("since"):
        params["since"] = filters["since"]
        req.append("r.created_at >= :since")
        aud.append("a.at >= :since")
    if filters.get("until"):
        params["until"] = filters["until"]
        req.append("r.created_at < :until")
        aud.append("a.at < :until")
    if filters.get("user_id"):
        params["uid"] = int(filters["user_id"])
        params["actor_tag"] = f"%(пользователь {int(filters['user_id'])})"
        req.append("r.user_id = :uid")
        aud.append("(a.user_id = :uid OR a.details->>'actor' LIKE :actor_tag)")
    if filters.get("organization_id"):
        params["oid"] = int(filters["organization_id"])
        req.append("r.organization_id = :oid")
        aud.append("a.organization_id = :oid")
    action = filters.get("action") or ""
    if action in ACTIONS and action != "lookup":
        likes = []
        for n, pattern in enumerate(ACTIONS[action]):
            params[f"act{n}"] = pattern
            likes.append(f"a.action LIKE :act{n}")
        aud.append("(" + " OR ".join(likes) + ")")
    return req, aud, params


def _sql(filters: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    req, aud, params = _parts(filters)
    action = filters.get("action") or ""
    person = person_condition(filters.get("person"))
    branches = []
    if action in ("", "lookup") or person:
        if person:
            req.append(person[0])
            params.update(person[1])
        else:
            req.append("r.group_id IS NULL")  # a group's rows are one entry (its upload) unless a person is asked
        branches.append(
            "SELECT r.created_at AS at, 'lookup' AS action, r.user_id, r.organization_id, r.id::text AS object_id, "
            f"r.group_id, r.line_no, {_KINDS_SQL} AS kinds, NULL::jsonb AS details FROM requests r"
            + (" WHERE " + " AND ".join(req) if req else "")
        )
        if not person:
            greq = [c.replace("r.", "g.") for c in req if "group_id" not in c]
            branches.append(
                "SELECT g.created_at, 'group', g.user_id, g.organization_id, g.id::text, g.id, NULL, "
                "ARRAY[]::text[], jsonb_build_object('rows', g.total) FROM groups g"
                + (" WHERE " + " AND ".join(greq) if greq else "")
            )
    if action != "lookup" and not person:
        branches.append(
            "SELECT a.at, a.action, a.user_id, a.organization_id, a.object_id, NULL, NULL, NULL, a.details "
            "FROM audit a" + (" WHERE " + " AND ".join(aud) if aud else "")
        )
    return " UNION ALL ".join(f"({b})" for b in branches), params


def trail(conn: Connection, filters: dict[str, Any], page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """{rows, page, more}: newest first; rows carry user and organisation names, identifier kinds for lookups."""
    sql, params = _sql(filters)
    page = max(1, int(page))
    rows = (
        conn.execute(
            text(
                f"SELECT t.*, concat_ws(' ', u.surname, u.first_name, u.patronymic) AS user_name, "
                f"o.name AS organization_name FROM ({sql}) t LEFT JOIN users u ON u.id = t.user_id "
                f"LEFT JOIN organizations o ON o.id = t.organization_id ORDER BY t.at DESC LIMIT :lim OFFSET :off"
            ),
            {**params, "lim": per_page + 1, "off": (page - 1) * per_page},
        )
        .mappings()
        .all()
    )
    return {"rows": [_row(r) for r in rows[:per_page]], "page": page, "more": len(rows) > per_page}


def _row(row: Any) -> dict[str, Any]:
    details = dict(row["details"] or {})
    details.pop("address", None)  # the client address's keyed hash says nothing to a reader
    return {**dict(row), "details": details}


def purge_batch(conn: Connection, days: int) -> int | None:
    """Drop up to PURGE_BATCH audit rows older than `days`; None when another journal copy holds the purge now
    (the lock lasts the transaction)."""
    if not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": PURGE_LOCK}).scalar():
        return None
    return int(
        conn.execute(
            text(
                "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < now() - make_interval(days => :d) "
                "ORDER BY at LIMIT :n)"
            ),
            {"d": int(days), "n": PURGE_BATCH},
        ).rowcount
    )


def request_card(conn: Connection, request_id: int) -> dict[str, Any] | None:
    """The organisation and user of a request, for an auditor's card (the card itself: store.request_detail)."""
    row = conn.execute(
        text("SELECT organization_id, user_id FROM requests WHERE id = :id"), {"id": int(request_id)}
    ).first()
    return None if row is None else {"organization_id": row.organization_id, "user_id": row.user_id}


def moscow_bounds(date_from: str | None, date_to: str | None) -> dict[str, datetime | None]:
    """The period filter from Moscow dates (ГГГГ-ММ-ДД)."""
    from datetime import date

    from shared import clock

    def day(value: str | None) -> date | None:
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return None

    since, until = clock.day_bounds(day(date_from), day(date_to))
    return {"since": since, "until": until}
