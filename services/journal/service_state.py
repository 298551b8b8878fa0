"""What the administrator's «Состояние сервиса» page reads from PostgreSQL: the dispatch backlog and requests in
flight, ФЕРЗЛ errors of the last day, groups in progress, CRLs about to expire, the mail intake's outcomes of the last
day. Plain reads over a connection."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from services.journal import store

CRL_WARN_DAYS = 3  # a CRL whose nextUpdate is nearer than this is listed as about to expire

_BACKLOG = text(
    "SELECT count(*) FROM requests WHERE status = 'sent' "
    "AND (dispatched_at IS NULL OR dispatched_at < now() - make_interval(secs => :lease))"
)


def snapshot(conn: Connection, lease_seconds: float) -> dict[str, Any]:
    errors = conn.execute(
        text(
            "SELECT id, error_code, left(error_message, 200) AS error_message, answered_at FROM requests "
            "WHERE status = 'error' AND answered_at > now() - interval '1 day' ORDER BY answered_at DESC LIMIT 10"
        )
    ).mappings()
    error_count: int = conn.execute(
        text("SELECT count(*) FROM requests WHERE status = 'error' AND answered_at > now() - interval '1 day'")
    ).scalar_one()
    groups = conn.execute(
        text(
            "SELECT g.id, g.name, o.name AS organization_name, g.total, g.answered, g.failed, g.created_at "
            "FROM groups g JOIN organizations o ON o.id = g.organization_id WHERE g.finished_at IS NULL "
            "ORDER BY g.id LIMIT 20"
        )
    ).mappings()
    groups_count: int = conn.execute(text("SELECT count(*) FROM groups WHERE finished_at IS NULL")).scalar_one()
    crls = conn.execute(
        text(
            "SELECT a.id, a.subject, l.next_update FROM cas a LEFT JOIN LATERAL (SELECT next_update FROM crls "
            "WHERE ca_id = a.id ORDER BY this_update DESC, id DESC LIMIT 1) l ON true WHERE a.active "
            "AND (l.next_update IS NULL OR l.next_update < now() + make_interval(days => :d)) ORDER BY l.next_update"
        ),
        {"d": CRL_WARN_DAYS},
    ).mappings()
    mail = conn.execute(
        text(
            "SELECT coalesce(outcome, 'in_progress') AS outcome, count(*) AS n FROM mail_letters "
            "WHERE received_at > now() - interval '1 day' GROUP BY 1 ORDER BY 2 DESC"
        )
    ).mappings()
    waiting: int = conn.execute(text("SELECT count(*) FROM cert_quarantine WHERE status = 'waiting'")).scalar_one()
    return {
        "backlog": conn.execute(_BACKLOG, {"lease": lease_seconds}).scalar_one(),
        "in_flight": store.in_flight(conn, lease_seconds),
        "errors": [dict(r) for r in errors],
        "error_count": error_count,
        "groups": [dict(r) for r in groups],
        "groups_count": groups_count,
        "crls": [dict(r) for r in crls],
        "crl_warn_days": CRL_WARN_DAYS,
        "mail": [dict(r) for r in mail],
        "quarantine_waiting": waiting,
    }
