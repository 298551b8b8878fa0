"""RPC of watch lists (#22): create from a finished group, read, change, new rows from a file, delete; the
scheduler's run of due lists and the e-mail of finished re-checks."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine

from services.journal import store, watchlist_mail, watchlists
from services.journal.watchlists import WatchlistError
from shared.config import Settings
from shared.outbox import Mailer


def _refused(exc: WatchlistError) -> dict[str, Any]:
    return {"error": str(exc)}


def watchlist_create(
    engine: Engine,
    identity: Mapping[str, Any],
    group_id: int,
    period: str,
    email: bool = False,
    name: str | None = None,
) -> dict[str, Any]:
    try:
        with engine.begin() as conn:
            return watchlists.create(conn, store.Identity(identity), int(group_id), period, bool(email), name)
    except WatchlistError as exc:
        return _refused(exc)


def watchlist_list(engine: Engine, identity: Mapping[str, Any]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return watchlists.list_all(conn, store.Identity(identity))


def watchlist_get(engine: Engine, identity: Mapping[str, Any], list_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return watchlists.get(conn, store.Identity(identity), int(list_id))


def watchlist_update(
    engine: Engine, identity: Mapping[str, Any], list_id: int, changes: Mapping[str, Any]
) -> dict[str, Any] | None:
    try:
        with engine.begin() as conn:
            return watchlists.update(conn, store.Identity(identity), int(list_id), changes)
    except WatchlistError as exc:
        return _refused(exc)


def watchlist_replace(
    engine: Engine,
    identity: Mapping[str, Any],
    list_id: int,
    filename: str,
    columns: list[str],
    rows: list[list[Any]],
) -> dict[str, Any] | None:
    with engine.begin() as conn:
        return watchlists.replace_rows(conn, store.Identity(identity), int(list_id), filename, columns, rows)


def watchlist_delete(engine: Engine, identity: Mapping[str, Any], list_id: int) -> bool:
    with engine.begin() as conn:
        return watchlists.delete(conn, store.Identity(identity), int(list_id))


def run_due_watchlists(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """Up to `limit` due lists, each run in a transaction of its own."""
    done = []
    for _ in range(limit):
        with engine.begin() as conn:
            ran = watchlists.run_due(conn)
        if ran is None:
            break
        done.append(ran)
    return done


def mail_finished(engine: Engine, settings: Settings) -> int:
    """E-mails of finished re-checks of lists with e-mail on (services/journal/watchlist_mail.py)."""
    mailer = Mailer(settings.smtp_relay, settings.mail_outbox_dir)
    return watchlist_mail.send_finished(engine, mailer, settings.mail_from)
