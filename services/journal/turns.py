"""Turns of the journal's periodic jobs, shared by every journal copy through PostgreSQL (table job_turns): a job
due every N seconds runs once per N seconds in all, by whichever copy takes its turn first -- not once per copy."""

from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine

_TAKE = text(
    "INSERT INTO job_turns (name, next_at) VALUES (:name, now() + make_interval(secs => :seconds)) "
    "ON CONFLICT (name) DO UPDATE SET next_at = EXCLUDED.next_at WHERE job_turns.next_at <= now() "
    "RETURNING name"
)
_FORGET = text("DELETE FROM job_turns WHERE next_at < now() - make_interval(days => 1)")


def take(conn: Connection, name: str, seconds: float) -> bool:
    """True for the one copy whose turn it is (the job is due); the next turn is `seconds` away from now. Two
    copies asking at once: the row lock makes the second see the first's next_at, so only one gets True."""
    return conn.execute(_TAKE, {"name": name, "seconds": float(seconds)}).first() is not None


def take_now(engine: Engine, name: str, seconds: float) -> bool:
    """take() in a transaction of its own (committed before the job runs)."""
    with engine.begin() as conn:
        return take(conn, name, seconds)


def forget_old(conn: Connection) -> int:
    """Drop turns a day past due (on-demand downloads of issuers no longer asked for) -> how many."""
    return conn.execute(_FORGET).rowcount
