"""The support archive of raw ФЕРЗЛ exchanges (table ferzl_archive): stored with the answers they
belong to, read by administrators only (ozsp archive show), deleted after FERZL_ARCHIVE_DAYS.

A record is one work chunk's exchanges as one zlib stream (layout: shared.messages.pack_archive);
it is stored compressed, with the ids of every request it concerns. Its content is personal data:
it is never logged.
"""

import base64
import binascii
import logging
from collections.abc import Sequence
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import Connection

from shared.messages import ArchiveRecord, unpack_archive

log = logging.getLogger(__name__)
PURGE_BATCH = 5000


def store(conn: Connection, records: list[dict[str, Any]] | None) -> int:
    """Insert archive records (shared.messages.ArchiveRecord); one of an unknown shape is skipped (logged).
    Returns how many were stored."""
    rows = []
    for raw in records or []:
        try:
            r = ArchiveRecord().load(raw)
            rows.append(
                {
                    "at": r["at"],
                    "request_ids": r["request_ids"],
                    "exchanges": r["exchanges"],
                    "content": base64.b64decode(r["content"], validate=True),
                }
            )
        except (ValidationError, binascii.Error, TypeError, ValueError) as exc:
            log.error("archive record of an unknown shape skipped: %s", type(exc).__name__)
    if rows:
        conn.execute(
            text(
                "INSERT INTO ferzl_archive (at, request_ids, exchanges, content) "
                "VALUES (:at, :request_ids, :exchanges, :content)"
            ),
            rows,
        )
    return len(rows)


def for_request(conn: Connection, request_id: int | str) -> list[dict[str, Any]]:
    """Every exchange that concerned a request, oldest first: at, operation, http_status, duration_ms,
    persons (how many requests the call carried), note (why an attempt was repeated, or None), request and
    response (bytes)."""
    rows: Sequence[bytes] = (
        conn.execute(
            text("SELECT content FROM ferzl_archive WHERE request_ids @> ARRAY[CAST(:id AS bigint)] ORDER BY at, id"),
            {"id": int(request_id)},
        )
        .scalars()
        .all()
    )
    found = []
    for content in rows:
        for e in unpack_archive(content):
            if int(request_id) in e["request_ids"]:
                found.append(
                    {
                        "at": e["at"],
                        "operation": e["operation"],
                        "http_status": e["http_status"],
                        "duration_ms": e["duration_ms"],
                        "persons": len(e["request_ids"]),
                        "note": e.get("note"),
                        "request": e["request"],
                        "response": e["response"],
                    }
                )
    return sorted(found, key=lambda e: e["at"])


def purge(conn: Connection, days: int, batch: int = PURGE_BATCH) -> int:
    """Delete up to `batch` records older than `days`; returns how many (call again while it is `batch`)."""
    return conn.execute(
        text(
            "DELETE FROM ferzl_archive WHERE id IN (SELECT id FROM ferzl_archive "
            "WHERE at < now() - make_interval(days => :days) ORDER BY at LIMIT :batch)"
        ),
        {"days": int(days), "batch": int(batch)},
    ).rowcount
