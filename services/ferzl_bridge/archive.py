"""Archive records of raw SOAP exchanges: compressed here, stored by the journal (table ferzl_archive).

They hold personal data: they travel only inside the broker and the database, are never logged, and are
read only with the administrator command `ozsp archive show <request_id>`.
"""
import base64
import zlib
from datetime import datetime, timezone

LEVEL = 6


def pack(data: bytes | None) -> str | None:
    return base64.b64encode(zlib.compress(data, LEVEL)).decode("ascii") if data else None


def unpack(data) -> bytes | None:
    """Inverse of pack; accepts the base64 text or the raw compressed bytes stored in the database."""
    if data is None:
        return None
    raw = base64.b64decode(data) if isinstance(data, str) else bytes(data)
    return zlib.decompress(raw)


def record(operation, request_ids, request, response, http_status=None, duration_ms=None, at=None):
    """One exchange as shared.messages.ArchiveRecord."""
    return {"at": (at or datetime.now(timezone.utc)).isoformat(), "operation": operation,
            "request_ids": list(request_ids), "http_status": http_status,
            "duration_ms": None if duration_ms is None else int(duration_ms),
            "request": pack(request), "response": pack(response)}


class Capture:
    """Collects the raw exchanges of one call (a client appends (request, response, status, ms))."""

    def __init__(self):
        self.exchanges = []

    def add(self, request, response, status, duration_ms):
        self.exchanges.append((request, response, status, duration_ms))

    def records(self, operation, request_ids):
        return [record(operation, request_ids, req, resp, status, ms) for req, resp, status, ms in self.exchanges]
