"""RPC of the certificate quarantine: certmail holds and answers (mail_*), the administrator's page lists and
decides (quarantine_*)."""

import base64
import binascii
from typing import Any

from sqlalchemy.engine import Engine

from services.journal import quarantine
from services.journal.calls.directory import plain
from services.journal.directory import DirectoryError
from shared.gost import GostError, load_certificate, load_crl


def _bytes(value: str | None) -> bytes:
    try:
        return base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        return b""


def mail_quarantine(engine: Engine, key: str, user_id: int | None, sender: str | None, cert_b64: str) -> None:
    with engine.begin() as conn:
        quarantine.hold(conn, key, user_id, sender, load_certificate(_bytes(cert_b64)))


def mail_quarantine_due(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """Result letters to send: {id, letter_key, sender, subject, outcome, reason, cert_b64}."""
    with engine.begin() as conn:
        rows = quarantine.claim_results(conn, int(limit))
    return [
        {**{k: v for k, v in r.items() if k != "der"}, "cert_b64": base64.b64encode(bytes(r["der"])).decode()}
        for r in rows
    ]


def mail_quarantine_replied(engine: Engine, entry_id: int) -> None:
    with engine.begin() as conn:
        quarantine.mark_replied(conn, int(entry_id))


def listing(engine: Engine, limit: int = 200) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list(plain(quarantine.listing(conn, int(limit))))


def decide(engine: Engine, entry_id: int, decision: str, params: dict[str, Any], actor: str) -> dict[str, Any]:
    """decision release (params ca_b64, crl_b64 optional) or refuse (params reason): {ok, message, outcome}."""
    try:
        with engine.begin() as conn:
            if decision == "refuse":
                quarantine.refuse(conn, int(entry_id), params.get("reason"), actor)
                return {"ok": True, "outcome": "refused", "message": "Отказано; письмо абоненту будет отправлено."}
            if decision != "release":
                raise DirectoryError("Неизвестное решение.")
            try:
                ca = load_certificate(_bytes(params.get("ca_b64")))
            except GostError:
                raise DirectoryError("Файл УЦ не является сертификатом ГОСТ (.cer).") from None
            crl = None
            if params.get("crl_b64"):
                try:
                    crl = load_crl(_bytes(params.get("crl_b64")))
                except GostError:
                    raise DirectoryError("Файл не является списком отозванных сертификатов (.crl).") from None
            outcome = quarantine.release(conn, int(entry_id), ca, crl, actor)
            return {"ok": True, "outcome": outcome, "message": RELEASED[outcome]}
    except DirectoryError as exc:
        return {"ok": False, "outcome": None, "message": str(exc)}


RELEASED = {
    "installed": "УЦ зарегистрирован, сертификат установлен; письмо абоненту будет отправлено.",
    "snils_mismatch": "УЦ зарегистрирован; сертификат не установлен: СНИЛС отличается от зарегистрированного. "
    "Письмо абоненту будет отправлено.",
    "invalid": "УЦ зарегистрирован; сертификат недействителен и не установлен. Письмо абоненту будет отправлено.",
}
