"""What the administrator's directory pages show: lists with search and paging, one organisation, one user,
the CAs with their newest CRL. Reads only; changes go through directory_actions."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

PER_PAGE = 25

_LISTS = {
    "organizations": (
        "SELECT o.id, o.name, o.kind, o.registry_code, o.active, "
        "(SELECT count(*) FROM users u WHERE u.organization_id = o.id) AS users FROM organizations o "
        "WHERE (:q = '' OR o.name ILIKE :like OR coalesce(o.registry_code, '') LIKE :like OR o.id::text = :q)",
        "o.id",
    ),
    "users": (
        "SELECT u.id, u.organization_id, o.name AS organization_name, u.surname, u.first_name, u.patronymic, "
        "u.roles, u.active FROM users u JOIN organizations o ON o.id = u.organization_id "
        "WHERE (:q = '' OR concat_ws(' ', u.surname, u.first_name, u.patronymic) ILIKE :like "
        "OR coalesce(u.snils, '') = regexp_replace(:q, '\\D', '', 'g') OR u.id::text = :q)",
        "u.id",
    ),
    "emails": (
        "SELECT e.email, e.user_id, u.surname, u.first_name, u.patronymic, u.organization_id, e.created_at "
        "FROM user_emails e JOIN users u ON u.id = e.user_id WHERE (:q = '' OR e.email ILIKE :like "
        "OR concat_ws(' ', u.surname, u.first_name, u.patronymic) ILIKE :like)",
        "e.email",
    ),
    "certificates": (
        "SELECT c.id, c.serial_hex, c.subject_cn, c.issuer, c.not_after, c.active, c.source, c.user_id, "
        "u.surname, u.first_name, u.patronymic FROM certificates c JOIN users u ON u.id = c.user_id "
        "WHERE (:q = '' OR upper(c.serial_hex) LIKE upper(:like) OR coalesce(c.subject_cn, '') ILIKE :like "
        "OR u.surname ILIKE :like)",
        "c.id DESC",
    ),
}

KINDS = tuple(_LISTS)


def page_of(conn: Connection, kind: str, search: str = "", page: int = 1, per_page: int = PER_PAGE) -> dict[str, Any]:
    """{rows, total, page, pages} of one list; search is a substring (a name, a code, a serial) or an id."""
    sql, order = _LISTS[kind]
    q = (search or "").strip()[:200]
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    total: int = conn.execute(text(f"SELECT count(*) FROM ({sql}) t"), {"q": q, "like": like}).scalar_one()
    pages = max(1, -(-int(total) // per_page))
    page = min(max(1, page), pages)
    rows = conn.execute(
        text(f"{sql} ORDER BY {order} LIMIT :lim OFFSET :off"),
        {"q": q, "like": like, "lim": per_page, "off": (page - 1) * per_page},
    ).mappings()
    return {"rows": [dict(r) for r in rows], "total": int(total), "page": page, "pages": pages}


def organization(conn: Connection, org_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            text("SELECT id, name, kind, registry_code, ogrn, active FROM organizations WHERE id = :o"), {"o": org_id}
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    users = conn.execute(
        text(
            "SELECT id, surname, first_name, patronymic, roles, active FROM users WHERE organization_id = :o "
            "ORDER BY surname, id"
        ),
        {"o": org_id},
    ).mappings()
    return {**dict(row), "users": [dict(u) for u in users]}


def user(conn: Connection, user_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            text(
                "SELECT u.id, u.organization_id, o.name AS organization_name, u.surname, u.first_name, u.patronymic, "
                "u.snils, u.position, u.roles, u.active FROM users u JOIN organizations o ON o.id = u.organization_id "
                "WHERE u.id = :u"
            ),
            {"u": user_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    emails: Any = conn.execute(
        text("SELECT email FROM user_emails WHERE user_id = :u ORDER BY email"), {"u": user_id}
    ).scalars()
    certs = conn.execute(
        text(
            "SELECT c.id, c.serial_hex, c.subject_cn, c.issuer, c.not_before, c.not_after, c.active, c.source, "
            "(SELECT count(*) FROM sessions s WHERE s.certificate_id = c.id AND s.ended_at IS NULL) AS sessions "
            "FROM certificates c WHERE c.user_id = :u ORDER BY c.id"
        ),
        {"u": user_id},
    ).mappings()
    return {**dict(row), "emails": list(emails), "certificates": [dict(c) for c in certs]}


def authorities(conn: Connection) -> list[dict[str, Any]]:
    """Every CA with its newest CRL's this/next update and how many certificates it issued."""
    rows = conn.execute(
        text(
            "SELECT a.id, a.subject, a.thumbprint, a.not_after, a.active, l.this_update, l.next_update, "
            "(SELECT count(*) FROM crls c WHERE c.ca_id = a.id) AS crls, "
            "(SELECT max(at) FROM audit WHERE action = 'directory.crl.import' "
            "AND (details->>'ca_id')::int = a.id AND details->>'source' IS NOT NULL) AS downloaded_at "
            "FROM cas a LEFT JOIN LATERAL (SELECT this_update, next_update FROM crls WHERE ca_id = a.id "
            "ORDER BY this_update DESC, id DESC LIMIT 1) l ON true ORDER BY a.id"
        )
    ).mappings()
    return [dict(r) for r in rows]
