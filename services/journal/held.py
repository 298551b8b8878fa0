"""Requests ferzl_bridge put into a delay queue: their dispatch lease is pushed past the delay, so the
journal does not publish them again while they wait (they are in the broker, not lost)."""
from sqlalchemy import text


def touch(conn, held):
    """held: [{"request_id", "seconds"}]; only requests still «Отправлен» change. Rows locked in id order."""
    delays = {}
    for h in held or []:
        delays[int(h["request_id"])] = max(float(h["seconds"]), delays.get(int(h["request_id"]), 0.0))
    if not delays:
        return 0
    ids = sorted(delays)
    locked = conn.execute(text(
        "SELECT id FROM requests WHERE id = ANY(:ids) AND status = 'sent' ORDER BY id FOR UPDATE"),
        {"ids": ids}).scalars().all()
    if not locked:
        return 0
    return conn.execute(text(
        "UPDATE requests r SET dispatched_at = now() + make_interval(secs => v.seconds) "
        "FROM unnest(CAST(:ids AS bigint[]), CAST(:secs AS float8[])) AS v(id, seconds) WHERE r.id = v.id"),
        {"ids": list(locked), "secs": [delays[i] for i in locked]}).rowcount
