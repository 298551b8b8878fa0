"""RPC of individual requests: create, read, the journal page, the per-user limit, the form's CAPTCHA."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, Engine

from services.journal import captcha, store

MAX_CARDS = 50  # cards one get_requests call returns: as many as a page's wait names (gateway pages/waiting.py)


def create_request(
    engine: Engine,
    identity: Mapping[str, Any],
    params: dict[str, Any],
    reuse_minutes: float | str = 0,
    send: Callable[[Connection, list[dict[str, Any]]], None] | None = None,
) -> dict[str, Any]:
    """A new request; answered at once from a fresh answer of the same person within `reuse_minutes`. With `send`,
    one statement creates it claimed (a user waits: one round trip, in autocommit), and once it is committed,
    send(conn, work) publishes it on the same connection (no second checkout)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        created = store.create_request(
            conn, store.Identity(identity), params, reuse_minutes=float(reuse_minutes or 0), claim=send is not None
        )
        work = created.pop("work", [])
        if send is not None and work:
            send(conn, work)
    return created


def get_request(engine: Engine, identity: Mapping[str, Any], request_id: int | str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return store.get_card(conn, store.Identity(identity), int(request_id))


def get_requests(engine: Engine, identity: Mapping[str, Any], request_ids: Sequence[int | str]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return store.get_cards(conn, store.Identity(identity), [int(i) for i in request_ids][:MAX_CARDS])


def list_requests(
    engine: Engine,
    identity: Mapping[str, Any],
    filters: Mapping[str, Any] | None = None,
    page: int | str = 1,
    per_page: int | str = 50,
) -> dict[str, Any]:
    """A page of the journal; the dates of the filters arrive as ISO strings."""
    parsed = dict(filters or {})
    for key in ("date_from", "date_to"):
        parsed[key] = store.parse_date(parsed.get(key))
    with engine.connect() as conn:
        return store.list_requests(conn, store.Identity(identity), parsed, int(page), int(per_page))


def count_recent_requests(engine: Engine, identity: Mapping[str, Any], seconds: float = 60) -> int:
    with engine.connect() as conn:
        return store.count_recent(conn, store.Identity(identity), seconds)


def captcha_issue(engine: Engine, answer_hash: str, ttl: int | str) -> str:
    with engine.begin() as conn:
        return captcha.issue(conn, answer_hash, ttl)


def captcha_check(engine: Engine, captcha_id: str, answer_hash: str) -> bool:
    with engine.begin() as conn:
        return captcha.check(conn, captcha_id, answer_hash)
