"""RPC of the subscriber directory, login and sessions (contracts/messages.md), and the audit."""

import base64
import logging
from typing import Any

from sqlalchemy.engine import Engine

from services.journal import directory, directory_actions, directory_views, turns
from shared import outage

log = logging.getLogger(__name__)
PURGE_LOGIN_TURN, PURGE_LOGIN_SECONDS = "purge_login_state", 540.0  # 0.9 of the journal's 10-minute timer


def trust_material(engine: Engine) -> dict[str, list[str]]:
    """Active CAs and the newest CRL of each, base64 DER."""
    with engine.connect() as conn:
        material = directory.trust_material(conn)
    return {key: [base64.b64encode(der).decode() for der in ders] for key, ders in material.items()}


def certificate_owner(engine: Engine, issuer: str, serial_hex: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return directory.certificate_owner(conn, issuer, serial_hex)


def issue_challenge(
    engine: Engine, ttl_seconds: int | str = 120, live_max: int | str | None = None
) -> dict[str, str] | None:
    """{id, challenge}, or None when live_max unanswered challenges are alive already."""
    with engine.begin() as conn:
        return directory.issue_challenge(conn, int(ttl_seconds), None if live_max is None else int(live_max))


def consume_challenge(engine: Engine, challenge_id: str) -> str | None:
    with engine.begin() as conn:
        return directory.consume_challenge(conn, challenge_id)


def start_session(engine: Engine, user_id: int, organization_id: int, certificate_id: int | None = None) -> str:
    with engine.begin() as conn:
        return directory.create_session(conn, user_id, organization_id, certificate_id)


def session_identity(
    engine: Engine, token: str, idle_minutes: int | str = 30, absolute_hours: int | str = 12
) -> dict[str, Any] | None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # one statement, one round trip
        return directory.session_identity(conn, token, int(idle_minutes), int(absolute_hours))


def end_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        directory.end_session(conn, token)


def count_login_attempts(engine: Engine, address: str, serial_hex: str | None = None, seconds: int | str = 60) -> int:
    with engine.connect() as conn:
        return directory.count_login_attempts(conn, address, serial_hex, int(seconds))


def audit(
    engine: Engine,
    action: str,
    object_id: Any = None,
    details: dict[str, Any] | None = None,
    user_id: int | None = None,
    organization_id: int | None = None,
) -> None:
    with engine.begin() as conn:
        directory.audit(conn, action, object_id, details, user_id, organization_id)


def purge_login_state(engine: Engine, absolute_hours: int) -> None:
    """Expired login challenges and long-finished sessions are dropped (the audit keeps every login); a failure
    other than the database being away is logged (the timer comes back)."""
    try:
        with engine.begin() as conn:
            if turns.take(conn, PURGE_LOGIN_TURN, PURGE_LOGIN_SECONDS):  # one journal copy in all, not each
                directory.purge_login_state(conn, absolute_hours)
                turns.forget_old(conn)
    except Exception as exc:
        if not outage.unavailable(exc):
            log.exception("login state cleanup failed; it runs again in 10 minutes")


# --- the administrator's directory pages (directory_views, directory_actions) ---


def plain(value: Any) -> Any:
    """Rows as JSON carries them over RPC: datetimes as ISO strings, recursively."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


def view(engine: Engine, kind: str, search: str = "", page: int = 1) -> dict[str, Any]:
    """One page of a directory list (directory_views.KINDS), or every CA with its newest CRL (kind "cas")."""
    with engine.connect() as conn:
        if kind == "cas":
            return {"rows": plain(directory_views.authorities(conn))}
        if kind not in directory_views.KINDS:
            return {"rows": [], "total": 0, "page": 1, "pages": 1}
        return plain(directory_views.page_of(conn, kind, search or "", int(page or 1)))


def record(engine: Engine, kind: str, record_id: int) -> dict[str, Any] | None:
    """One organisation (with its users) or one user (with e-mails and certificates); None if there is none."""
    with engine.connect() as conn:
        if kind == "organization":
            return plain(directory_views.organization(conn, int(record_id)))
        if kind == "user":
            return plain(directory_views.user(conn, int(record_id)))
    return None


def _params(params: dict[str, Any]) -> dict[str, Any]:
    """Files travel as base64 in `file_b64`."""
    params = dict(params or {})
    if "file_b64" in params:
        try:
            params["file"] = base64.b64decode(params.pop("file_b64") or "", validate=True)
        except (ValueError, TypeError):
            params["file"] = b""
    return params


def change(engine: Engine, action: str, params: dict[str, Any], actor: str) -> dict[str, Any]:
    """{ok: true, message} when done (audited under actor), {ok: false, message} when refused (nothing changed)."""
    try:
        with engine.begin() as conn:
            return {"ok": True, "message": directory_actions.perform(conn, action, _params(params), actor)}
    except directory.DirectoryError as exc:
        return {"ok": False, "message": str(exc)}


def lockout(engine: Engine, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """{notice}: whom the change would lock out (None: nobody), or {error} when the change is refused already."""
    try:
        with engine.connect() as conn:
            return {"notice": directory_actions.lockout_notice(conn, action, _params(params))}
    except directory.DirectoryError as exc:
        return {"error": str(exc)}
