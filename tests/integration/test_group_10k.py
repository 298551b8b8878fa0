"""A 10,000-row group through the whole service: every row ends «Получен» or «Ошибка» and the answer file has
a line for each (manual §5.3). Rows by ЕНП from the emulator's samples; 100 unknown persons end in «Ошибка»."""

import time

import pytest

from tests import group_support as G

pytestmark = pytest.mark.integration

ROWS = 10_000
UNKNOWN_EVERY = 100  # one row in a hundred asks for nobody


def test_ten_thousand_rows(stack):
    known, unknown = stack.samples(1000), stack.samples(ROWS // UNKNOWN_EVERY, kind="unknown")
    rows, unknown_lines = [], set()
    for i in range(ROWS):
        if i % UNKNOWN_EVERY == 37:
            rows.append(G.by_enp(f"U{i}", unknown[i // UNKNOWN_EVERY]))
            unknown_lines.add(i + 2)
        else:
            rows.append(G.by_enp(f"K{i}", known[i % len(known)]))
    started = time.monotonic()
    r = G.upload(stack, "10 000 строк", G.file_bytes(rows, delimiters=";,"))
    assert r.status_code == 202, r.text[:2000]
    assert r.json()["total"] == ROWS and time.monotonic() - started < 30
    group = G.finished(stack, r.json()["id"], timeout=600)

    assert group["total"] == ROWS and group["received"] == group["answered"] + group["failed"] == ROWS
    assert group["failed"] == len(unknown_lines) and group["status_label"] == "Получен ответ"
    failed = stack.api("GET", f"/api/v1/groups/{group['id']}/requests", params={"status": "error", "per_page": 500})
    assert {i["line_no"] for i in failed.json()["items"]} == unknown_lines

    export = stack.api("GET", f"/api/v1/groups/{group['id']}/export.csv")
    lines, cells = G.read_csv(export.content)
    assert len(lines) == ROWS + 1 and cells[0] == G.EXPORT_HEADER
    assert [int(c[0]) for c in cells[1:]] == list(range(2, ROWS + 2))
    assert {int(c[0]) for c in cells[1:] if c[3].startswith("Ошибка")} == unknown_lines
    assert all(c[3] == "Получен Ответ" and c[4] for c in cells[1:] if int(c[0]) not in unknown_lines)
