"""RPC bodies of the gateway's shared state (services/journal/gateway_state.py)."""

import base64
import binascii
import logging
from typing import Any

from sqlalchemy.engine import Engine

from services.journal import gateway_state, turns
from shared import outage

log = logging.getLogger(__name__)
PURGE_TURN, PURGE_SECONDS = "purge_gateway_state", 300


def rate_hit(engine: Engine, key: str, limit: int, seconds: float = 60) -> bool:
    with engine.begin() as conn:
        return gateway_state.hit(conn, key, limit, seconds)


def keep_upload(engine: Engine, user_id: int, filename: str, content_b64: str) -> str | None:
    """The token of the kept file; None when the content is not base64 or too large (nothing kept)."""
    try:
        content = base64.b64decode(content_b64 or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        return None
    if len(content) > gateway_state.MAX_KEPT_BYTES:
        return None
    with engine.begin() as conn:
        return gateway_state.keep(conn, user_id, filename, content)


def kept_upload(engine: Engine, user_id: int, token: str | None) -> dict[str, Any] | None:
    with engine.begin() as conn:
        found = gateway_state.kept(conn, user_id, token)
    if found is None:
        return None
    filename, content = found
    return {"filename": filename, "content_b64": base64.b64encode(content).decode("ascii")}


def discard_kept_upload(engine: Engine, user_id: int, token: str | None) -> None:
    with engine.begin() as conn:
        gateway_state.discard(conn, user_id, token)


def purge(engine: Engine) -> None:
    """Old hit windows and expired kept files go, by one journal copy per PURGE_SECONDS; a failure other than the
    database being away is logged (the timer comes back)."""
    try:
        with engine.begin() as conn:
            if turns.take(conn, PURGE_TURN, PURGE_SECONDS):
                gateway_state.purge(conn)
    except Exception as exc:
        if not outage.unavailable(exc):
            log.exception("gateway state cleanup failed; it runs again in 5 minutes")
