"""Single-use CAPTCHA answers for the web form. The gateway hashes; the journal only keeps and consumes.

RPC (services/journal/service.py):
  journal.captcha_issue(answer_hash, ttl) -> id            a new CAPTCHA, valid for ttl seconds
  journal.captcha_check(id, answer_hash) -> bool           consumes it: a second check is always False
"""

import hmac
import uuid

from sqlalchemy import text
from sqlalchemy.engine import Connection

MAX_TTL = 3600


def issue(conn: Connection, answer_hash: str, ttl_seconds: int | str) -> str:
    """Store a hashed answer; returns the CAPTCHA id (a random UUID). Expired rows are dropped on the way."""
    ttl = max(1, min(int(ttl_seconds), MAX_TTL))
    conn.execute(text("DELETE FROM captchas WHERE expires_at < now()"))
    return str(
        conn.execute(
            text(
                "INSERT INTO captchas (answer_hash, expires_at) VALUES (:h, now() + make_interval(secs => :ttl)) "
                "RETURNING id"
            ),
            {"h": str(answer_hash), "ttl": ttl},
        ).scalar_one()
    )


def check(conn: Connection, captcha_id: str, answer_hash: str | None) -> bool:
    """True when the CAPTCHA exists, has not expired and the hash matches. It is consumed either way."""
    try:
        key = str(uuid.UUID(str(captcha_id)))
    except ValueError:  # not one of ours: nothing to consume
        return False
    row = conn.execute(
        text("DELETE FROM captchas WHERE id = CAST(:id AS uuid) RETURNING answer_hash, expires_at > now() AS live"),
        {"id": key},
    ).first()
    if row is None or not row.live:
        return False
    return hmac.compare_digest(row.answer_hash, str(answer_hash or ""))
