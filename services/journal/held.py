"""Requests ferzl_bridge put into a delay queue: their dispatch lease is pushed past the delay, so the
journal does not publish them again while they wait (they are in the broker, not lost)."""

from collections.abc import Sequence
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import Connection

from shared.messages import Held


def touch(conn: Connection, held: list[dict[str, Any]] | None) -> int:
    """held: [{"request_id", "seconds"}]; only requests still «Отправлен» change. Rows locked in id order.
    An entry of an unknown shape is ignored (its request then simply keeps its lease)."""
    delays: dict[int, float] = {}
    for raw in held or []:
        try:
            h = Held().load(raw)
        except ValidationError:
            continue
        delays[h["request_id"]] = max(h["seconds"], delays.get(h["request_id"], 0.0))
    if not delays:
        return 0
    ids = sorted(delays)
    locked: Sequence[int] = (
        conn.execute(
            text("SELECT id FROM requests WHERE id = ANY(:ids) AND status = 'sent' ORDER BY id FOR UPDATE"),
            {"ids": ids},
        )
        .scalars()
        .all()
    )
    if not locked:
        return 0
    return conn.execute(
        text(
            "UPDATE requests r SET dispatched_at = now() + make_interval(secs => v.seconds) "
            "FROM unnest(CAST(:ids AS bigint[]), CAST(:secs AS float8[])) AS v(id, seconds) WHERE r.id = v.id"
        ),
        {"ids": list(locked), "secs": [delays[i] for i in locked]},
    ).rowcount
