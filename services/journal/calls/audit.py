"""RPC of the audit trail (administrators and auditors) and its retention."""

import logging
from typing import Any

from sqlalchemy.engine import Engine

from services.journal import audit_trail, directory, store
from services.journal.calls.directory import plain
from shared import outage

log = logging.getLogger(__name__)

CSV_LIMIT = 100_000


def trail(engine: Engine, filters: dict[str, Any], page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """A page of the trail; filters: date_from, date_to (Moscow ГГГГ-ММ-ДД), user_id, organization_id, action,
    person (an identifier matched against the stored requests, never returned)."""
    filters = dict(filters or {})
    where = {**filters, **audit_trail.moscow_bounds(filters.get("date_from"), filters.get("date_to"))}
    per_page = max(1, min(int(per_page), CSV_LIMIT))
    with engine.connect() as conn:
        return plain(audit_trail.trail(conn, where, int(page or 1), per_page))


def request_card(engine: Engine, request_id: int, viewer: dict[str, Any]) -> dict[str, Any] | None:
    """The card of any organisation's request for an auditor; the read is audited (audit.request_read)."""
    with engine.begin() as conn:
        owner = audit_trail.request_card(conn, int(request_id))
        if owner is None:
            return None
        directory.audit(
            conn,
            "audit.request_read",
            request_id,
            {"actor": viewer.get("name"), "organization_id": owner["organization_id"]},
            viewer.get("user_id"),
            viewer.get("organization_id"),
        )
        return store.get_card(conn, store.Identity(owner), int(request_id))


def purge(engine: Engine, days: int) -> None:
    """AUDIT_RETENTION_DAYS: drop older rows a batch a transaction; one journal copy at a time; 0: keep all."""
    if days <= 0:
        return
    try:
        while True:
            with engine.begin() as conn:
                done = audit_trail.purge_batch(conn, days)
            if done is None or done < audit_trail.PURGE_BATCH:
                return
    except Exception as exc:
        if not outage.unavailable(exc):
            log.exception("audit retention cleanup failed; it runs again in an hour")
