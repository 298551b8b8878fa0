"""Group export files, built page by page into a spooled temporary file so memory stays flat."""

import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from urllib.parse import quote

from services.gateway.files import xlsx
from shared import export, text

SPOOL_BYTES = 4 * 1024 * 1024
ENCODINGS = {"utf-8": "utf-8-sig", "cp1251": "cp1251"}


def rows(
    fetch_page: Callable[[int, int], list[dict[str, Any]]], page_size: int = 5000, field: str = "cells"
) -> Iterator[Any]:
    """Yield export cells of every row; fetch_page(after_line, limit) -> [{"line_no", "cells"}]."""
    after = 0
    while True:
        page = fetch_page(after, page_size)
        for item in page:
            yield item[field]
        if len(page) < page_size:
            return
        after = page[-1]["line_no"]


def rows_ahead(
    start_fetch: Callable[[int, int], Any], page_size: int = 5000, window: int = 3, field: str = "cells"
) -> Iterator[Any]:
    """Like rows(), with up to `window` pages asked at once (the journal reads one while the gateway writes another).

    start_fetch(after_line, limit) starts a fetch and returns a reply with .result(). Page k covers the line
    numbers (k * size, (k + 1) * size]: such a range holds at most `size` rows, so the first `size` rows after its
    start include all of it; rows past its end (after skipped blank lines) belong to the next range."""
    pending: deque[tuple[int, Any]] = deque()
    state = {"after": 0}

    def ask() -> None:
        pending.append((state["after"], start_fetch(state["after"], page_size)))
        state["after"] += page_size

    for _ in range(window):
        ask()
    while pending:
        after, reply = pending.popleft()
        page = reply.result()
        if not page:
            return  # no row after `after`: the pages still in flight are empty as well
        for item in page:
            if item["line_no"] > after + page_size:
                break
            yield item[field]
        ask()


def csv_file(lines: Iterable[str], encoding: str = "utf-8") -> IO[bytes]:
    """A file object with the CSV: the header, then the rows' ready lines (shared.export.csv_lines);
    ';', CR LF, UTF-8 with BOM or Windows-1251."""
    codec = ENCODINGS[encoding]
    out = tempfile.SpooledTemporaryFile(SPOOL_BYTES)
    out.write(export.csv_text([], with_header=True).encode(codec, errors="replace"))
    batch = []
    for line in lines:
        batch.append(line)
        if len(batch) == 2000:
            out.write("".join(batch).encode(codec.replace("-sig", ""), errors="replace"))
            batch = []
    out.write("".join(batch).encode(codec.replace("-sig", ""), errors="replace"))
    out.seek(0)
    return out


def xlsx_file(cell_rows: Iterable[Iterable[object]], title: str | None) -> IO[bytes]:
    """The same content as an .xlsx workbook, streamed row by row (files/xlsx.py)."""
    out = tempfile.SpooledTemporaryFile(SPOOL_BYTES)
    xlsx.write(out, export.HEADER, cell_rows, _sheet_title(title))
    out.seek(0)
    return out


def _sheet_title(title: str | None) -> str:
    cleaned = "".join(ch for ch in (title or "Ответ") if ch not in "[]:*?/\\")
    return (cleaned or "Ответ")[:31]


def content_disposition(name: str, extension: str) -> str:
    """attachment; filename=<ASCII fallback>; filename*=UTF-8''<group name>.<ext>; the name without path
    separators, characters Windows refuses, control or bidi characters (shared/text.py), at most 100 characters."""
    safe = "".join(ch for ch in text.cleaned(name) if ch not in '\\/:*?"<>|').strip(" .")[:100] or "group"
    fallback = safe.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}.{extension}\"; filename*=UTF-8''{quote(safe)}.{extension}"


def size_of(body: IO[bytes]) -> int:
    """Bytes in a spooled export file; leaves it at the start."""
    body.seek(0, 2)
    size = body.tell()
    body.seek(0)
    return size
