"""The quarantine of certificates of unknown CAs sent by mail (Приложение 2): certmail holds each one here with its
letter; an administrator registers the CA (the certificate is then checked and registered for the sender) or refuses;
either way the subscriber's result letter becomes due, and certmail sends it (the manual's promise «О результатах
проверки и установке сертификата вы будете уведомлены дополнительно»). Plain functions over a connection."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from services.journal import directory
from services.journal.directory import DirectoryError
from shared.gost import Certificate, Crl, GostError, load_certificate

LEASE_SECONDS = 300  # a result letter claimed by a certmail copy that died is claimed again after this
DEFAULT_REASON = "удостоверяющий центр, выдавший сертификат, не прошёл проверку"


def hold(conn: Connection, letter_key: str, user_id: int | None, sender: str | None, cert: Certificate) -> None:
    """Keep the certificate of a letter (once per letter: a retried letter is not held twice)."""
    conn.execute(
        text(
            "INSERT INTO cert_quarantine (letter_key, user_id, sender, serial_hex, issuer, subject_cn, der) "
            "VALUES (:k, :u, :s, :n, :i, :cn, :der) ON CONFLICT (letter_key) DO NOTHING"
        ),
        {
            "k": letter_key,
            "u": user_id,
            "s": sender,
            "n": cert.serial_hex,
            "i": str(cert.issuer),
            "cn": cert.cn,
            "der": cert.der,
        },
    )


def listing(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    """Waiting entries first, then the decided ones, each with its letter (received, subject) and its user."""
    rows = conn.execute(
        text(
            "SELECT q.id, q.letter_key, q.user_id, q.sender, q.serial_hex, q.issuer, q.subject_cn, q.status, q.outcome, "
            "q.reason, q.decided_by, q.decided_at, q.replied_at, q.created_at, l.received_at, l.subject, l.message_id, "
            "concat_ws(' ', u.surname, u.first_name, u.patronymic) AS user_name, o.name AS organization_name "
            "FROM cert_quarantine q LEFT JOIN mail_letters l ON l.letter_key = q.letter_key "
            "LEFT JOIN users u ON u.id = q.user_id LEFT JOIN organizations o ON o.id = u.organization_id "
            "ORDER BY q.status <> 'waiting', q.id DESC LIMIT :n"
        ),
        {"n": max(1, min(int(limit), 1000))},
    ).mappings()
    return [dict(r) for r in rows]


def _waiting(conn: Connection, entry_id: int) -> Any:
    row = conn.execute(
        text("SELECT id, user_id, der, status FROM cert_quarantine WHERE id = :id FOR UPDATE"), {"id": entry_id}
    ).first()
    if row is None:
        raise DirectoryError(f"Сертификат {entry_id} не найден в карантине.")
    if row.status != "waiting":
        raise DirectoryError("Этот сертификат уже рассмотрен.")
    return row


def release(conn: Connection, entry_id: int, ca: Certificate, crl: Crl | None, actor: str) -> str:
    """Register the CA (and its CRL), then check the held certificate and register it for its sender: -> the
    outcome (installed, snils_mismatch, invalid). DirectoryError (nothing changed) when the CA did not issue it."""
    row = _waiting(conn, entry_id)
    cert = load_certificate(bytes(row.der))
    if not cert.is_issued_by(ca):
        raise DirectoryError(
            "Сертификат из карантина выдан не этим удостоверяющим центром: выберите сертификат его УЦ."
        )
    directory.import_ca(conn, ca, actor=actor)
    if crl is not None:
        if not crl.is_issued_by(ca):
            raise DirectoryError("Список отзыва подписан не этим удостоверяющим центром.")
        ca_id: int = conn.execute(text("SELECT id FROM cas WHERE thumbprint = :t"), {"t": ca.thumbprint}).scalar_one()
        directory.store_crl(conn, ca_id, crl, actor)
    outcome, certificate_id = _register(conn, row.user_id, cert, actor)
    if crl is not None and crl.is_revoked(int(cert.serial_hex, 16)):
        outcome, certificate_id = "invalid", None
    _decide(conn, entry_id, "released", outcome, None, actor, certificate_id)
    return outcome


def _register(conn: Connection, user_id: int | None, cert: Certificate, actor: str) -> tuple[str, int | None]:
    from services.journal.mail import update_user_from_certificate

    try:
        cert.check_validity()
    except GostError:
        return "invalid", None
    if user_id is None:
        return "invalid", None
    snils = conn.execute(text("SELECT snils FROM users WHERE id = :u"), {"u": user_id}).scalar()
    cert_snils = "".join(ch for ch in (cert.snils or "") if ch.isdigit())
    if snils and cert_snils and snils != cert_snils:
        return "snils_mismatch", None
    certificate_id = directory.add_certificate(conn, user_id, cert, source="mail", actor=actor)
    update_user_from_certificate(conn, user_id, cert)
    return "installed", certificate_id


def refuse(conn: Connection, entry_id: int, reason: str | None, actor: str) -> None:
    _waiting(conn, entry_id)
    _decide(conn, entry_id, "refused", "refused", (reason or "").strip()[:300] or DEFAULT_REASON, actor, None)


def _decide(
    conn: Connection,
    entry_id: int,
    status: str,
    outcome: str,
    reason: str | None,
    actor: str,
    certificate_id: int | None,
) -> None:
    conn.execute(
        text(
            "UPDATE cert_quarantine SET status = :s, outcome = :o, reason = :r, decided_by = :a, decided_at = now(), "
            "certificate_id = :c WHERE id = :id"
        ),
        {"s": status, "o": outcome, "r": reason, "a": actor, "c": certificate_id, "id": entry_id},
    )
    directory.audit(
        conn,
        "quarantine." + ("release" if status == "released" else "refuse"),
        entry_id,
        {"actor": actor, "old": {"status": "waiting"}, "new": {"status": status, "outcome": outcome}},
    )


def claim_results(conn: Connection, limit: int = 20, lease_seconds: int = LEASE_SECONDS) -> list[dict[str, Any]]:
    """Result letters due (decided, not sent), claimed for a while by the certmail copy that asks."""
    rows = conn.execute(
        text(
            "UPDATE cert_quarantine q SET claimed_at = now() FROM (SELECT id FROM cert_quarantine "
            "WHERE status <> 'waiting' AND replied_at IS NULL "
            "AND (claimed_at IS NULL OR claimed_at < now() - make_interval(secs => :lease)) "
            "ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED) d WHERE q.id = d.id "
            "RETURNING q.id, q.letter_key, q.sender, q.outcome, q.reason, q.der"
        ),
        {"lease": lease_seconds, "n": limit},
    ).mappings()
    found = [dict(r) for r in rows]
    for row in found:
        row["subject"] = conn.execute(
            text("SELECT subject FROM mail_letters WHERE letter_key = :k ORDER BY id LIMIT 1"), {"k": row["letter_key"]}
        ).scalar()
    return found


def mark_replied(conn: Connection, entry_id: int) -> None:
    conn.execute(text("UPDATE cert_quarantine SET replied_at = now() WHERE id = :id"), {"id": entry_id})
