"""What the gateway would otherwise keep in one process, shared by all of them through PostgreSQL (#21): hit
windows per key (login challenges per address, CAPTCHA refreshes) and the group file kept between two tries of
the upload form (manual §5.1). No nameko here.

RPC (services/journal/service.py, bodies in calls/gateway_state.py):
  journal.rate_hit(key, limit, seconds=60) -> bool          count a hit; False when the key is over its limit
  journal.keep_upload(user_id, filename, content_b64) -> token
  journal.kept_upload(user_id, token) -> {"filename", "content_b64"} | None   the user's own, for KEPT_TTL seconds
  journal.discard_kept_upload(user_id, token) -> None
"""

import hashlib
import re
import secrets

from sqlalchemy import text
from sqlalchemy.engine import Connection

KEPT_TTL = 30 * 60  # seconds a kept file is given back (group files hold personal data)
MAX_WINDOW = 3600  # seconds: the longest window a key may ask for (older rows are purged)
MAX_KEY = 200
MAX_KEPT_BYTES = 20 * 1024 * 1024  # the gateway's MAX_UPLOAD
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")

_HIT = text(  # fixed windows: a new one starts with the first hit after the old one ended; never counts past limit+1
    "INSERT INTO rate_windows AS w (key, started_at, hits) VALUES (:key, now(), 1) "
    "ON CONFLICT (key) DO UPDATE SET "
    "started_at = CASE WHEN w.started_at <= now() - make_interval(secs => :seconds) THEN now() ELSE w.started_at END, "
    "hits = CASE WHEN w.started_at <= now() - make_interval(secs => :seconds) THEN 1 "
    "ELSE least(w.hits + 1, :limit + 1) END "
    "RETURNING hits"
)


def hit(conn: Connection, key: str, limit: int, seconds: float = 60) -> bool:
    """Count one hit of `key` in its current window of `seconds`; False when it is past `limit` (that hit refused).
    Concurrent hits of one key queue on its row, so N gateway processes share one limit."""
    seconds = max(1.0, min(float(seconds), MAX_WINDOW))
    limit = max(0, int(limit))
    hits: int = conn.execute(_HIT, {"key": str(key)[:MAX_KEY], "seconds": seconds, "limit": limit}).scalar_one()
    return bool(hits <= limit)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()  # the bearer token itself is never stored


def keep(conn: Connection, user_id: int, filename: str, content: bytes) -> str:
    """Keep the file for the user's next try; -> its token (what the form carries). Expired files go first."""
    if len(content) > MAX_KEPT_BYTES:
        raise ValueError("kept file too large")
    purge_kept(conn)
    token = secrets.token_urlsafe(24)
    conn.execute(
        text("INSERT INTO kept_uploads (token_hash, user_id, filename, content) VALUES (:h, :user_id, :filename, :c)"),
        {"h": _token_hash(token), "user_id": int(user_id), "filename": str(filename)[:255], "c": content},
    )
    return token


def kept(conn: Connection, user_id: int, token: str | None) -> tuple[str, bytes] | None:
    """(filename, content) of the user's kept file, or None (unknown, another user's, expired, malformed token)."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    row = conn.execute(
        text(
            "SELECT filename, content FROM kept_uploads WHERE token_hash = :h AND user_id = :user_id "
            "AND created_at > now() - make_interval(secs => :ttl)"
        ),
        {"h": _token_hash(token), "user_id": int(user_id), "ttl": KEPT_TTL},
    ).first()
    return None if row is None else (row.filename, bytes(row.content))


def discard(conn: Connection, user_id: int, token: str | None) -> None:
    if isinstance(token, str) and _TOKEN.match(token):
        conn.execute(
            text("DELETE FROM kept_uploads WHERE token_hash = :h AND user_id = :user_id"),
            {"h": _token_hash(token), "user_id": int(user_id)},
        )


def purge_kept(conn: Connection) -> int:
    return conn.execute(
        text("DELETE FROM kept_uploads WHERE created_at <= now() - make_interval(secs => :ttl)"), {"ttl": KEPT_TTL}
    ).rowcount


def purge(conn: Connection) -> None:
    """Drop windows no key can still be in, and expired kept files (a journal timer, every few minutes)."""
    conn.execute(
        text("DELETE FROM rate_windows WHERE started_at <= now() - make_interval(secs => :s)"), {"s": MAX_WINDOW}
    )
    purge_kept(conn)
