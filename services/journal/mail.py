"""Certificate registration by e-mail, the journal's part: who sent a letter, the letter journal (each letter
processed once), and registering a certificate from a letter in one transaction. Plain functions over a
SQLAlchemy connection, like directory.py."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.journal import directory
from shared.gost import Certificate

LEASE_SECONDS = 600  # a claimed letter left unfinished this long may be taken over by another copy

_SENDER = (
    "SELECT u.id AS user_id, u.active AS user_active, u.snils, o.id AS organization_id, "
    "o.active AS organization_active, "
    "ARRAY(SELECT a.email FROM user_emails a WHERE a.user_id = u.id ORDER BY a.id) AS emails "
    "FROM user_emails e JOIN users u ON u.id = e.user_id "
    "JOIN organizations o ON o.id = u.organization_id WHERE e.email = :e"
)


def sender_facts(conn: Connection, email: str | None) -> dict[str, Any] | None:
    """The user whose trusted address this is, with the states rule 1 needs and every address of record
    (emails); None if the address is unknown."""
    if not email:
        return None
    row = conn.execute(text(_SENDER), {"e": email.strip().lower()}).mappings().first()
    return {**row, "emails": list(row["emails"])} if row else None


def claim_letter(conn: Connection, letter: dict[str, Any], lease_seconds: int = LEASE_SECONDS) -> dict[str, Any]:
    """Record a received letter, or find it recorded. letter = {key, holder, message_id, received_at, sender,
    subject}; holder names one delivery (copy) of it. Returns {state, ...}:
    new / mine - process it (mine: a redelivery of the copy that claimed it, or a takeover after the lease);
    busy - another copy is being processed; done - outcome recorded (reply_due: this copy should send it)."""
    params = {
        "k": letter["key"],
        "h": letter["holder"],
        "m": letter.get("message_id"),
        "r": letter.get("received_at"),
        "s": letter.get("sender"),
        "subj": letter.get("subject"),
        "lease": lease_seconds,
    }
    inserted = conn.execute(
        text(
            "INSERT INTO mail_letters (letter_key, holder, message_id, received_at, sender, subject) "
            "VALUES (:k, :h, :m, coalesce(CAST(:r AS timestamptz), now()), :s, :subj) "
            "ON CONFLICT (letter_key) DO NOTHING RETURNING id"
        ),
        params,
    ).first()
    if inserted:
        return {"state": "new", "sender": sender_facts(conn, letter.get("sender"))}
    row = (
        conn.execute(
            text(
                "SELECT holder, outcome, detail, reply_text, delivered_at, "
                "claimed_at < now() - make_interval(secs => :lease) AS claim_stale, finished_at < now() - make_interval(secs => :lease) AS finish_stale "
                "FROM mail_letters WHERE letter_key = :k FOR UPDATE"
            ),
            params,
        )
        .mappings()
        .one()
    )
    if row["outcome"] is None:
        if row["holder"] != letter["holder"] and not row["claim_stale"]:
            return {"state": "busy"}
        conn.execute(text("UPDATE mail_letters SET holder = :h, claimed_at = now() WHERE letter_key = :k"), params)
        return {"state": "mine", "sender": sender_facts(conn, letter.get("sender"))}
    reply_due = row["delivered_at"] is None and (row["holder"] == letter["holder"] or bool(row["finish_stale"]))
    done = {
        "state": "done",
        "outcome": row["outcome"],
        "reply_text": row["reply_text"],
        "reply_due": reply_due,
        "detail": row["detail"],
    }
    if reply_due:  # the notices go to the addresses of record again
        done["sender"] = sender_facts(conn, letter.get("sender"))
    return done


def record_signature(conn: Connection, key: str, signature_key: str) -> bool:
    """Bind the DKIM signature that authenticated a letter to it; False when the signature already authenticated
    another letter (a replay, e.g. under a new Message-ID)."""
    params = {"k": key, "s": signature_key}
    if conn.execute(text("SELECT 1 FROM mail_letters WHERE signature_key = :s AND letter_key <> :k"), params).first():
        return False
    try:
        with conn.begin_nested():
            conn.execute(text("UPDATE mail_letters SET signature_key = :s WHERE letter_key = :k"), params)
    except IntegrityError:  # another copy of the replay bound it meanwhile
        return False
    return True


def finish_letter(
    conn: Connection,
    key: str,
    outcome: str,
    reply_text: str | None = None,
    detail: str | None = None,
    user_id: int | None = None,
    certificate_id: int | None = None,
    deliver: bool = True,
) -> bool:
    """Store the outcome of a letter once; deliver=False when nothing is to be sent (then it is delivered).
    A letter from an untrusted sender is audited too (with the user whose address it named, if any)."""
    stored = (
        conn.execute(
            text(
                "UPDATE mail_letters SET outcome = :o, reply_text = :t, detail = :d, user_id = :u, certificate_id = :c, "
                "finished_at = now(), delivered_at = CASE WHEN :deliver THEN NULL ELSE now() END "
                "WHERE letter_key = :k AND outcome IS NULL RETURNING id, sender, message_id"
            ),
            {
                "k": key,
                "o": outcome,
                "t": reply_text,
                "d": detail,
                "u": user_id,
                "c": certificate_id,
                "deliver": bool(deliver),
            },
        )
        .mappings()
        .first()
    )
    if stored and outcome == "untrusted_sender":
        directory.audit(
            conn,
            "mail.letter.untrusted_sender",
            stored["id"],
            {"detail": detail, "sender": stored["sender"], "message_id": stored["message_id"]},
            user_id=user_id,
        )
    return stored is not None


def mark_delivered(conn: Connection, key: str) -> None:
    conn.execute(
        text("UPDATE mail_letters SET delivered_at = now() WHERE letter_key = :k AND delivered_at IS NULL"), {"k": key}
    )


def _name_parts(cert: Certificate) -> tuple[str | None, str | None, str | None]:
    """(surname, first name, patronymic) from SN and G ("ИМЯ ОТЧЕСТВО"); None where the certificate is silent."""
    surname = (cert.surname or "").strip().upper() or None
    given = (cert.given_name or "").split()
    first = given[0].upper() if given else None
    patronymic = " ".join(given[1:]).upper() or None
    return surname, first, patronymic


_RECORD_FIELDS = ("surname", "first_name", "patronymic", "snils")


def update_user_from_certificate(conn: Connection, user_id: int, cert: Certificate) -> None:
    """Certificate data wins over what was typed by hand: surname, first name, patronymic, СНИЛС. The audit
    keeps every changed field's old and new value."""
    surname, first, patronymic = _name_parts(cert)
    snils = "".join(ch for ch in (cert.snils or "") if ch.isdigit()) or None
    old = (
        conn.execute(
            text("SELECT surname, first_name, patronymic, snils FROM users WHERE id = :u FOR UPDATE"), {"u": user_id}
        )
        .mappings()
        .one()
    )
    new = (
        conn.execute(
            text(
                "UPDATE users SET surname = coalesce(:s, surname), first_name = coalesce(:f, first_name), "
                "patronymic = CASE WHEN :f IS NULL THEN patronymic ELSE :p END, snils = coalesce(:snils, snils), "
                "updated_at = now() WHERE id = :u RETURNING surname, first_name, patronymic, snils"
            ),
            {"u": user_id, "s": surname, "f": first, "p": patronymic, "snils": snils},
        )
        .mappings()
        .one()
    )
    changes = {k: {"old": old[k], "new": new[k]} for k in _RECORD_FIELDS if old[k] != new[k]}
    directory.audit(
        conn,
        "mail.user.update_from_certificate",
        user_id,
        {"serial": cert.serial_hex, "changes": changes},
        user_id=user_id,
    )


def register_from_mail(
    conn: Connection,
    key: str,
    user_id: int,
    cert: Certificate,
    ca: Certificate,
    reply_text: str,
    detail: str | None = None,
) -> int:
    """Rule 4-5 in one transaction: the certificate for the user (earlier ones stay), the user record from the
    certificate, the CA entry created or refreshed, and the letter's outcome. DirectoryError refuses it all."""
    certificate_id = directory.add_certificate(conn, user_id, cert, source="mail", actor="certmail")
    update_user_from_certificate(conn, user_id, cert)
    directory.import_ca(conn, ca, actor="certmail")
    finish_letter(conn, key, "installed", reply_text, detail, user_id=user_id, certificate_id=certificate_id)
    return certificate_id


def list_letters(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT id, received_at, sender, subject, outcome, detail, reply_text, finished_at, delivered_at "
            "FROM mail_letters ORDER BY id DESC LIMIT :n"
        ),
        {"n": max(1, min(int(limit), 1000))},
    ).mappings()
    return [dict(r) for r in rows]


def application_data(conn: Connection, organization_id: int, user_id: int | None = None) -> dict[str, Any] | None:
    """The organisation and (optionally) one of its users, for the registration application (Приложение 1)."""
    org = (
        conn.execute(
            text("SELECT id, name, kind, registry_code, ogrn, active FROM organizations WHERE id = :o"),
            {"o": organization_id},
        )
        .mappings()
        .first()
    )
    if org is None:
        return None
    user: dict[str, Any] | None = None
    if user_id is not None:
        row = (
            conn.execute(
                text(
                    "SELECT u.id, u.surname, u.first_name, u.patronymic, u.position, u.snils, "
                    "coalesce(array_agg(e.email ORDER BY e.id) FILTER (WHERE e.email IS NOT NULL), '{}') AS emails "
                    "FROM users u LEFT JOIN user_emails e ON e.user_id = u.id WHERE u.id = :u AND u.organization_id = :o "
                    "GROUP BY u.id"
                ),
                {"u": user_id, "o": organization_id},
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        user = dict(row)
    return {"organization": dict(org), "user": user}
