"""RPC of individual requests: create, read, the journal page, the per-user limit, the form's CAPTCHA."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, Engine

from services.journal import captcha, directory, store

Send = Callable[[Connection, list[dict[str, Any]]], None]  # publishes the work of requests claimed at creation
MAX_CARDS = 50  # cards one get_requests call returns: as many as a page's wait names (gateway pages/waiting.py)


def create_request(
    engine: Engine,
    identity: Mapping[str, Any],
    params: dict[str, Any],
    reuse_minutes: float | str = 0,
    send: Send | None = None,
) -> dict[str, Any]:
    """A new request; answered at once from a fresh answer of the same person within `reuse_minutes`. With `send`,
    one statement creates it claimed (a user waits: one round trip, in autocommit), and once it is committed,
    send(conn, work) publishes it on the same connection (no second checkout)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return _create(conn, identity, params, reuse_minutes, send)


def create_request_in_session(
    engine: Engine,
    token: str,
    idle_minutes: int | str,
    absolute_hours: int | str,
    user_id: int | str,
    params: dict[str, Any],
    reuse_minutes: float | str = 0,
    send: Send | None = None,
) -> dict[str, Any]:
    """The JSON API's lookup in one call: the request created, in the statement that checks the session as
    session_identity does, when that session is live and `user_id`'s (the user the call's CSRF token was signed
    for); then sent as create_request's. -> the new request, or {"refused": "session"} and nothing made. The
    gateway thus need not wait for a session check before it asks for the request."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        created = store.create_request_in_session(
            conn,
            token,
            int(idle_minutes),
            int(absolute_hours),
            int(user_id),
            params,
            reuse_minutes=float(reuse_minutes or 0),
            claim=send is not None,
        )
        return {"refused": "session"} if created is None else sent_claimed(conn, created, send)


def _create(
    conn: Connection, identity: Mapping[str, Any], params: dict[str, Any], reuse_minutes: float | str, send: Send | None
) -> dict[str, Any]:
    created = store.create_request(
        conn, store.Identity(identity), params, reuse_minutes=float(reuse_minutes or 0), claim=send is not None
    )
    return sent_claimed(conn, created, send)


def sent_claimed(conn: Connection, created: dict[str, Any], send: Send | None) -> dict[str, Any]:
    """`created` without its \"work\", that work published through send(conn, work) once committed."""
    work = created.pop("work", [])
    if send is not None and work:
        send(conn, work)
    return created


def get_request(engine: Engine, identity: Mapping[str, Any], request_id: int | str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return store.get_card(conn, store.Identity(identity), int(request_id))


def get_requests(engine: Engine, identity: Mapping[str, Any], request_ids: Sequence[int | str]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return store.get_cards(conn, store.Identity(identity), _ids(request_ids))


def _ids(request_ids: Sequence[int | str]) -> list[int]:
    return [int(i) for i in request_ids][:MAX_CARDS]


def get_requests_in_session(
    engine: Engine, token: str, idle_minutes: int | str, absolute_hours: int | str, request_ids: Sequence[int | str]
) -> dict[str, Any] | None:
    """A page's wait in one call: the session checked as session_identity checks it, then get_requests for it, on
    one connection. -> {"session": what session_identity gives, "cards": [...]}, or None when the session is not
    live."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        found = directory.session_identity(conn, token, int(idle_minutes), int(absolute_hours))
        if found is None:
            return None
        return {"session": found, "cards": store.get_cards(conn, store.Identity(found), _ids(request_ids))}


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
