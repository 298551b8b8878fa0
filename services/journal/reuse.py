"""Reuse of a fresh answer (#22): a request for the same person (the same parameters, names folded) and as-of
date that this organisation had answered by ФЕРЗЛ within ANSWER_REUSE_MINUTES is answered from that answer at
once, without a ФЕРЗЛ call. Only answers are reused — errors and «not found» (stored as errors) never are —
and only answers ФЕРЗЛ itself gave (never a reused one, so an answer never outlives its window)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, text

from shared import params as P

KEY_FIELDS = tuple(f for f in P.FIELDS if f != "name")  # the request's name is the user's label, not the person


def person_key(params: Mapping[str, Any]) -> str:
    """The parameters that decide ФЕРЗЛ's answer, case, ё/е and surrounding spaces folded."""
    return "|".join(P.fold(str(params.get(f) or "").strip()) for f in KEY_FIELDS)


# The newest answer ФЕРЗЛ gave the organisation of the CTE `who` for :key within :seconds (none when :seconds is
# 0); part of store.create_request's one statement.
FRESH_SQL = (
    "SELECT id, answer, answered_at, person_ref, changes_since FROM requests "
    "WHERE organization_id = (SELECT organization_id FROM who) "
    "AND person_key = :key AND :seconds > 0 "
    "AND status = 'answered' AND reused_from IS NULL AND person_key IS NOT NULL "
    "AND answered_at > now() - make_interval(secs => :seconds) ORDER BY answered_at DESC LIMIT 1"
)

_REUSE_GROUP = text(
    "WITH src AS (SELECT DISTINCT ON (r.id) r.id, s.id AS source, s.answer, s.answered_at, s.person_ref, "
    "  s.changes_since "
    "  FROM requests r JOIN requests s ON s.organization_id = r.organization_id AND s.person_key = r.person_key "
    "  AND s.status = 'answered' AND s.reused_from IS NULL AND s.person_key IS NOT NULL "
    "  AND s.answered_at > now() - make_interval(secs => :seconds) "
    "  WHERE r.group_id = :g ORDER BY r.id, s.answered_at DESC), "
    "u AS (UPDATE requests r SET status = 'answered', answer = src.answer, answered_at = now(), "
    "  dispatched_at = now(), reused_from = src.source, ferzl_answered_at = src.answered_at, "
    "  person_ref = src.person_ref, changes_since = src.changes_since "
    "  FROM src WHERE r.id = src.id AND r.status = 'sent' RETURNING r.id), "
    "h AS (INSERT INTO request_history (request_id, event) SELECT id, 'answered' FROM u) "
    "SELECT count(*) FROM u"
)


def reuse_in_group(conn: Connection, group_id: int, minutes: float) -> int:
    """Answer the rows of a new group from fresh answers; count them in the group (answered and «из кэша»,
    finished when every row was). Returns how many rows were answered so."""
    if not minutes or minutes <= 0:
        return 0
    reused: int = conn.execute(_REUSE_GROUP, {"g": group_id, "seconds": 60 * float(minutes)}).scalar_one()
    if reused:
        conn.execute(
            text(
                "UPDATE groups SET answered = answered + :n, reused = reused + :n, "
                "finished_at = CASE WHEN answered + :n + failed >= total THEN now() ELSE finished_at END "
                "WHERE id = :g"
            ),
            {"n": reused, "g": group_id},
        )
    return reused
