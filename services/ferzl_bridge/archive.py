"""The support archive of raw SOAP exchanges: collected per call here, packed once per chunk, stored by the
journal (table ferzl_archive, one row per chunk) and read with `ozsp archive show <request_id>`.

One zlib stream per chunk, not per call: 200 similar envelopes compress together about ten times better,
and compressing once costs a tenth of the CPU (layout: shared.messages.pack_archive).

The content is personal data: it travels only inside the broker and the database and is never logged.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any


class Capture:
    """The raw exchanges of one call: a client appends (request, response, http status, milliseconds, note).
    A note says why an attempt was repeated («…; запрос повторён на новом соединении») or is a repeat («повтор на
    новом соединении: соединение сброшено»); None for an ordinary exchange."""

    def __init__(self) -> None:
        self.exchanges: list[tuple[datetime, bytes, bytes | None, int | None, float | None, str | None]] = []

    def add(
        self,
        request: bytes,
        response: bytes | None,
        status: int | None,
        duration_ms: float | None,
        note: str | None = None,
    ) -> None:
        self.exchanges.append((datetime.now(UTC), request, response, status, duration_ms, note))

    def repeated(self) -> bool:
        """True when an attempt was repeated on a new connection (the archive keeps why)."""
        return any(e[5] for e in self.exchanges)

    def entries(self, operation: str, request_ids: Iterable[int]) -> list[dict[str, Any]]:
        """The exchanges as archive entries of `operation` concerning `request_ids`."""
        return [
            {
                "request_ids": list(request_ids),
                "operation": operation,
                "at": at.isoformat(),
                "http_status": status,
                "duration_ms": None if ms is None else int(ms),
                "request": request,
                "response": response,
                "note": note,
            }
            for at, request, response, status, ms, note in self.exchanges
        ]
