"""RPC of certificate registration by e-mail (services/journal/mail.py, contracts/certmail.md)."""

import base64
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from services.journal import directory, mail
from shared.gost import load_certificate

DUPLICATE_SERIAL = "сертификат с этим серийным номером уже зарегистрирован в справочнике"


def mail_claim(engine: Engine, letter: dict[str, Any]) -> dict[str, Any]:
    with engine.begin() as conn:
        return mail.claim_letter(conn, letter)


def mail_finish(
    engine: Engine,
    key: str,
    outcome: str,
    reply_text: str | None = None,
    detail: str | None = None,
    user_id: int | None = None,
    deliver: bool = True,
) -> bool:
    with engine.begin() as conn:
        return mail.finish_letter(conn, key, outcome, reply_text, detail, user_id, deliver=deliver)


def mail_signature(engine: Engine, key: str, signature_key: str) -> bool:
    """Bind the DKIM signature that authenticated a letter; False: it already authenticated another (replay)."""
    with engine.begin() as conn:
        return mail.record_signature(conn, key, signature_key)


def mail_register(
    engine: Engine,
    key: str,
    user_id: int,
    cert_b64: str,
    ca_b64: str,
    reply_text: str,
    detail: str | None = None,
) -> dict[str, Any]:
    """Certificate, user record, CA entry and the letter's outcome in one transaction; {ok, error}."""
    cert, ca = load_certificate(base64.b64decode(cert_b64)), load_certificate(base64.b64decode(ca_b64))
    try:
        with engine.begin() as conn:
            return {
                "ok": True,
                "certificate_id": mail.register_from_mail(conn, key, user_id, cert, ca, reply_text, detail),
            }
    except directory.DirectoryError as exc:
        return {"ok": False, "error": str(exc)}
    except IntegrityError:
        return {"ok": False, "error": DUPLICATE_SERIAL}


def mail_delivered(engine: Engine, key: str) -> None:
    with engine.begin() as conn:
        mail.mark_delivered(conn, key)


def mail_letters(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    """The newest letters, dates as ISO strings."""
    with engine.connect() as conn:
        rows = mail.list_letters(conn, limit)
    return [{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()} for row in rows]


def mail_application_data(
    engine: Engine, organization_id: int | str, user_id: int | str | None = None
) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return mail.application_data(conn, int(organization_id), None if user_id is None else int(user_id))
