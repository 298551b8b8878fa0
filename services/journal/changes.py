"""What changed since the last check (#22, item 3): when an answer is stored, it is compared with this
organisation's previous answer for the same register person (ОИП, else ЕНП): insurer, policy status and dates,
the attachment's МО and status. The result, {request_id, fields}, stays on the request (column changes_since)."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, text

from shared.changes import diff
from shared.domain import Answer, as_answer


def person_ref(answer: Answer | Mapping[str, Any] | None) -> str | None:
    """The register's person of an answer: its ОИП, else its ЕНП."""
    a = as_answer(answer)
    return (a.oip or a.enp) if a else None


_PREVIOUS = text(
    "SELECT DISTINCT ON (organization_id, person_ref) organization_id, person_ref, id, answer FROM requests "
    "WHERE status = 'answered' AND reused_from IS NULL AND person_ref IS NOT NULL "
    "AND (organization_id, person_ref) IN (SELECT * FROM unnest(CAST(:orgs AS int[]), CAST(:refs AS text[]))) "
    "AND NOT id = ANY(CAST(:ids AS bigint[])) ORDER BY organization_id, person_ref, answered_at DESC, id DESC"
)
_SET = text(
    "UPDATE requests r SET changes_since = v.c FROM jsonb_to_recordset(CAST(:data AS jsonb)) AS v(id bigint, c jsonb) "
    "WHERE r.id = v.id"
)


def record(conn: Connection, stored: Sequence[Mapping[str, Any]]) -> int:
    """stored: [{id, organization_id, person_ref, answer}] of answers just stored (ФЕРЗЛ's, not reused), by id.
    Sets changes_since of those this organisation had answered before; -> how many."""
    rows = [r for r in stored if r["person_ref"]]
    if not rows:
        return 0
    keys = sorted({(r["organization_id"], r["person_ref"]) for r in rows})
    latest = {
        (p.organization_id, p.person_ref): (p.id, p.answer)
        for p in conn.execute(
            _PREVIOUS,
            {"orgs": [k[0] for k in keys], "refs": [k[1] for k in keys], "ids": [r["id"] for r in rows]},
        )
    }
    out = []
    for r in sorted(rows, key=lambda r: r["id"]):  # a person twice in one chunk: the later compares with the earlier
        key = (r["organization_id"], r["person_ref"])
        if key in latest:
            before_id, before = latest[key]
            out.append({"id": r["id"], "c": {"request_id": before_id, "fields": diff(before, r["answer"])}})
        latest[key] = (r["id"], r["answer"])
    if out:
        conn.execute(_SET, {"data": json.dumps(out, ensure_ascii=False)})
    return len(out)
