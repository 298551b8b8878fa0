"""The support archive of raw ФЕРЗЛ exchanges (table ferzl_archive): stored with the answers they
belong to, read by administrators only (ozsp archive show), deleted after FERZL_ARCHIVE_DAYS.

The records arrive from ferzl_bridge zlib-compressed and base64-encoded (shared.messages.ArchiveRecord);
they are stored compressed. Their content is personal data: it is never logged.
"""
import base64
import zlib

from sqlalchemy import text

PURGE_BATCH = 5000


def store(conn, records):
    """Insert archive records (as the bridge sends them); returns how many."""
    rows = [{"at": r["at"], "operation": r["operation"], "request_ids": [int(i) for i in r["request_ids"]],
             "http_status": r.get("http_status"), "duration_ms": r.get("duration_ms"),
             "request": base64.b64decode(r["request"]) if r.get("request") else None,
             "response": base64.b64decode(r["response"]) if r.get("response") else None}
            for r in records or []]
    if rows:
        conn.execute(text(
            "INSERT INTO ferzl_archive (at, operation, request_ids, http_status, duration_ms, request, response) "
            "VALUES (:at, :operation, :request_ids, :http_status, :duration_ms, :request, :response)"), rows)
    return len(rows)


def for_request(conn, request_id):
    """Every exchange that concerned a request, oldest first, decompressed."""
    rows = conn.execute(text(
        "SELECT id, at, operation, request_ids, http_status, duration_ms, request, response FROM ferzl_archive "
        "WHERE request_ids @> ARRAY[CAST(:id AS bigint)] ORDER BY at, id"), {"id": int(request_id)}).mappings().all()
    return [{"id": r["id"], "at": r["at"], "operation": r["operation"], "persons": len(r["request_ids"]),
             "http_status": r["http_status"], "duration_ms": r["duration_ms"],
             "request": _unpack(r["request"]), "response": _unpack(r["response"])} for r in rows]


def purge(conn, days, batch=PURGE_BATCH):
    """Delete up to `batch` records older than `days`; returns how many (call again while it is `batch`)."""
    return conn.execute(text(
        "DELETE FROM ferzl_archive WHERE id IN (SELECT id FROM ferzl_archive "
        "WHERE at < now() - make_interval(days => :days) ORDER BY at LIMIT :batch)"),
        {"days": int(days), "batch": int(batch)}).rowcount


def _unpack(data):
    return zlib.decompress(bytes(data)) if data is not None else None
