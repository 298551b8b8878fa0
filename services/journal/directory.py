"""Subscriber directory (справочник абонентов): organisations, users, e-mails, certificates, CAs, CRLs,
login challenges and sessions. Plain functions over a SQLAlchemy connection; every change is audited."""

import hashlib
import json
import secrets
import string
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from shared.gost import Certificate, Crl

WEB_ROLE = "web"
CHALLENGE_ALPHABET = string.ascii_letters + string.digits


class DirectoryError(ValueError):
    """A refused directory change; the message is Russian and shown to the administrator."""


def audit(
    conn: Connection,
    action: str,
    object_id: Any = None,
    details: dict[str, Any] | None = None,
    user_id: int | None = None,
    organization_id: int | None = None,
) -> None:
    conn.execute(
        text(
            "INSERT INTO audit (user_id, organization_id, action, object_id, details) "
            "VALUES (:u, :o, :a, :id, CAST(:d AS jsonb))"
        ),
        {
            "u": user_id,
            "o": organization_id,
            "a": action,
            "id": None if object_id is None else str(object_id),
            "d": json.dumps(details or {}, ensure_ascii=False, default=str),
        },
    )


# --- organisations and users -------------------------------------------------------------------------


def add_organization(
    conn: Connection,
    name: str,
    kind: str,
    registry_code: str | None = None,
    ogrn: str | None = None,
    actor: str | None = None,
) -> int:
    if kind not in ("mo", "smo", "tfoms"):
        raise DirectoryError("Вид организации: mo (МО), smo (СМО) или tfoms (ТФОМС).")
    org_id: int = conn.execute(
        text("INSERT INTO organizations (name, kind, registry_code, ogrn) VALUES (:n, :k, :c, :g) RETURNING id"),
        {"n": name.strip(), "k": kind, "c": registry_code, "g": ogrn},
    ).scalar_one()
    new = {"name": name.strip(), "kind": kind, "registry_code": registry_code, "ogrn": ogrn}
    audit(conn, "directory.organization.add", org_id, {"actor": actor, "old": None, "new": new}, organization_id=org_id)
    return org_id


def set_organization_active(conn: Connection, org_id: int, active: bool, actor: str | None = None) -> None:
    old = _update_one(conn, "organizations", org_id, active, "Организация")
    audit(
        conn,
        "directory.organization." + ("activate" if active else "deactivate"),
        org_id,
        {"actor": actor, "old": {"active": old}, "new": {"active": bool(active)}},
        organization_id=org_id,
    )


def add_user(
    conn: Connection,
    organization_id: int,
    surname: str,
    first_name: str,
    patronymic: str | None = None,
    snils: str | None = None,
    position: str | None = None,
    roles: Sequence[str] = (WEB_ROLE,),
    emails: Sequence[str] = (),
    actor: str | None = None,
) -> int:
    if not conn.execute(text("SELECT 1 FROM organizations WHERE id = :o"), {"o": organization_id}).first():
        raise DirectoryError(f"Организация {organization_id} не найдена в справочнике абонентов.")
    user_id: int = conn.execute(
        text(
            "INSERT INTO users (organization_id, surname, first_name, patronymic, snils, position, roles) "
            "VALUES (:o, :s, :f, :p, :snils, :pos, :roles) RETURNING id"
        ),
        {
            "o": organization_id,
            "s": surname.strip().upper(),
            "f": first_name.strip().upper(),
            "p": patronymic.strip().upper() if patronymic else None,
            "snils": _digits(snils),
            "pos": position,
            "roles": list(roles),
        },
    ).scalar_one()
    for email in emails:
        add_email(conn, user_id, email, actor=actor)
    new = {"surname": surname.strip().upper(), "roles": list(roles), "position": position, "snils": bool(snils)}
    audit(
        conn,
        "directory.user.add",
        user_id,
        {"actor": actor, "old": None, "new": new},
        user_id=user_id,
        organization_id=organization_id,
    )
    return user_id


def set_user_active(conn: Connection, user_id: int, active: bool, actor: str | None = None) -> None:
    old = _update_one(conn, "users", user_id, active, "Пользователь")
    audit(
        conn,
        "directory.user." + ("activate" if active else "deactivate"),
        user_id,
        {"actor": actor, "old": {"active": old}, "new": {"active": bool(active)}},
        user_id=user_id,
    )


ROLES = ("web", "admin", "auditor")


def set_user_roles(conn: Connection, user_id: int, roles: Sequence[str], actor: str | None = None) -> None:
    """Replace a user's roles (web «Веб», admin, auditor)."""
    wanted = sorted({r for r in roles if r})
    if not wanted or any(r not in ROLES for r in wanted):
        raise DirectoryError("Роли пользователя: web («Веб»), admin (администратор), auditor (аудитор).")
    old = conn.execute(text("SELECT roles FROM users WHERE id = :u FOR UPDATE"), {"u": user_id}).scalar()
    if old is None:
        raise DirectoryError(f"Пользователь {user_id} не найден в справочнике абонентов.")
    conn.execute(text("UPDATE users SET roles = :r, updated_at = now() WHERE id = :u"), {"r": wanted, "u": user_id})
    audit(
        conn,
        "directory.user.roles",
        user_id,
        {"actor": actor, "old": {"roles": old}, "new": {"roles": wanted}},
        user_id=user_id,
    )


def remove_email(conn: Connection, user_id: int, email: str | None, actor: str | None = None) -> None:
    email = (email or "").strip().lower()
    done = conn.execute(
        text("DELETE FROM user_emails WHERE user_id = :u AND email = :e"), {"u": user_id, "e": email}
    ).rowcount
    if not done:
        raise DirectoryError("Такого доверенного адреса у пользователя нет.")
    audit(
        conn, "directory.email.remove", user_id, {"actor": actor, "old": {"email": email}, "new": None}, user_id=user_id
    )


def add_email(conn: Connection, user_id: int, email: str | None, actor: str | None = None) -> None:
    email = (email or "").strip().lower()
    if "@" not in email or " " in email:
        raise DirectoryError(f"Неверный адрес электронной почты: {email!r}.")
    taken = conn.execute(text("SELECT user_id FROM user_emails WHERE email = :e"), {"e": email}).scalar()
    if taken is not None and taken != user_id:
        raise DirectoryError("Этот адрес уже зарегистрирован как доверенный для другого пользователя.")
    conn.execute(
        text("INSERT INTO user_emails (user_id, email) VALUES (:u, :e) ON CONFLICT (email) DO NOTHING"),
        {"u": user_id, "e": email},
    )
    audit(conn, "directory.email.add", user_id, {"actor": actor, "old": None, "new": {"email": email}}, user_id=user_id)


def _update_one(conn: Connection, table: str, row_id: int, active: bool, what: str) -> bool:
    """Set the row's active flag; -> its old value."""
    old = conn.execute(text(f"SELECT active FROM {table} WHERE id = :id FOR UPDATE"), {"id": row_id}).scalar()
    if old is None:
        raise DirectoryError(f"{what} {row_id} не найден(а) в справочнике абонентов.")
    conn.execute(
        text(f"UPDATE {table} SET active = :a, updated_at = now() WHERE id = :id"), {"a": bool(active), "id": row_id}
    )
    return bool(old)


def _digits(value: str | None) -> str | None:
    digits = "".join(ch for ch in (value or "") if ch.isdigit())
    return digits or None


# --- certificates, CAs, CRLs -------------------------------------------------------------------------


def add_certificate(
    conn: Connection, user_id: int, cert: Certificate, source: str = "admin", actor: str | None = None
) -> int:
    """Register a parsed shared.gost Certificate for a user; earlier certificates stay."""
    if not conn.execute(text("SELECT 1 FROM users WHERE id = :u"), {"u": user_id}).first():
        raise DirectoryError(f"Пользователь {user_id} не найден в справочнике абонентов.")
    row = conn.execute(
        text(
            "INSERT INTO certificates (user_id, issuer, serial_hex, thumbprint, subject_cn, snils, not_before, "
            "not_after, der, source) VALUES (:u, :i, :s, :t, :cn, :snils, :nb, :na, :der, :src) "
            "ON CONFLICT (thumbprint) DO UPDATE SET active = true RETURNING id, user_id"
        ),
        {
            "u": user_id,
            "i": str(cert.issuer),
            "s": cert.serial_hex,
            "t": cert.thumbprint,
            "cn": cert.cn,
            "snils": _digits(cert.snils),
            "nb": cert.not_before,
            "na": cert.not_after,
            "der": cert.der,
            "src": source,
        },
    ).one()
    if row.user_id != user_id:
        raise DirectoryError("Этот сертификат уже зарегистрирован для другого пользователя.")
    audit(
        conn,
        "directory.certificate.add",
        row.id,
        {
            "actor": actor,
            "serial": cert.serial_hex,
            "thumbprint": cert.thumbprint,
            "source": source,
            "old": None,
            "new": {"serial": cert.serial_hex, "active": True},
        },
        user_id=user_id,
    )
    return row.id


def certificate_by_serial(conn: Connection, serial_hex: str | None) -> int:
    """The record id of the certificate with this serial (hex, as `list` and the login refusal show it)."""
    serial = (serial_hex or "").strip().upper().replace(":", "").replace(" ", "")
    ids: Sequence[int] = (
        conn.execute(text("SELECT id FROM certificates WHERE upper(serial_hex) = :s"), {"s": serial}).scalars().all()
    )
    if not ids:
        raise DirectoryError(f"Сертификат s/n {serial} не найден в справочнике абонентов.")
    if len(ids) > 1:
        raise DirectoryError(f"Сертификатов s/n {serial} несколько (разные УЦ): укажите номер записи (--id).")
    return ids[0]


def set_certificate_active(conn: Connection, cert_id: int, active: bool, actor: str | None = None) -> int:
    """Withdraw a certificate from the directory (or return it); withdrawing ends its live sessions at once.
    -> the number of sessions ended."""
    row = conn.execute(
        text(
            "UPDATE certificates c SET active = :a FROM (SELECT id, active FROM certificates WHERE id = :id FOR UPDATE) "
            "o WHERE c.id = o.id RETURNING c.user_id, c.serial_hex, o.active AS old"
        ),
        {"a": bool(active), "id": cert_id},
    ).first()
    if row is None:
        raise DirectoryError(f"Сертификат {cert_id} не найден в справочнике абонентов.")
    ended = (
        0
        if active
        else conn.execute(
            text("UPDATE sessions SET ended_at = now() WHERE certificate_id = :id AND ended_at IS NULL"),
            {"id": cert_id},
        ).rowcount
    )
    audit(
        conn,
        "directory.certificate." + ("activate" if active else "withdraw"),
        cert_id,
        {
            "actor": actor,
            "serial": row.serial_hex,
            "sessions_ended": ended,
            "old": {"active": row.old},
            "new": {"active": bool(active)},
        },
        user_id=row.user_id,
    )
    return ended


def import_ca(conn: Connection, cert: Certificate, actor: str | None = None) -> int:
    ca_id: int = conn.execute(
        text(
            "INSERT INTO cas (subject, serial_hex, thumbprint, not_before, not_after, der) "
            "VALUES (:s, :n, :t, :nb, :na, :der) ON CONFLICT (thumbprint) DO UPDATE SET active = true RETURNING id"
        ),
        {
            "s": str(cert.subject),
            "n": cert.serial_hex,
            "t": cert.thumbprint,
            "nb": cert.not_before,
            "na": cert.not_after,
            "der": cert.der,
        },
    ).scalar_one()
    audit(
        conn,
        "directory.ca.import",
        ca_id,
        {
            "actor": actor,
            "subject": str(cert.subject),
            "thumbprint": cert.thumbprint,
            "old": None,
            "new": {"subject": str(cert.subject)},
        },
    )
    return ca_id


def import_crl(conn: Connection, crl: Crl, actor: str | None = None) -> int:
    """Store a CRL under the CA whose key signed it."""
    from shared.gost import load_certificate

    cas: Sequence[Any] = conn.execute(text("SELECT id, der FROM cas WHERE active")).all()
    for ca_id, der in cas:
        if crl.is_issued_by(load_certificate(bytes(der))):
            return store_crl(conn, ca_id, crl, actor)
    raise DirectoryError(
        "Список отозванных сертификатов подписан удостоверяющим центром, которого нет в справочнике УЦ."
    )


def store_crl(conn: Connection, ca_id: int, crl: Crl, actor: str | None = None, source: str | None = None) -> int:
    """Store a CRL already checked against CA ca_id; -> the record id."""
    crl_id: int = conn.execute(
        text("INSERT INTO crls (ca_id, this_update, next_update, der) VALUES (:c, :t, :n, :der) RETURNING id"),
        {"c": ca_id, "t": crl.this_update, "n": crl.next_update, "der": crl.der},
    ).scalar_one()
    new = {"this_update": crl.this_update, "next_update": crl.next_update}
    details = {"actor": actor, "ca_id": ca_id, "old": None, "new": new} | ({"source": source} if source else {})
    audit(conn, "directory.crl.import", crl_id, details)
    return crl_id


def trust_material(conn: Connection) -> dict[str, list[bytes]]:
    """DER of every active CA and of the newest CRL of each: what the verifier trusts."""
    cas = [bytes(r[0]) for r in conn.execute(text("SELECT der FROM cas WHERE active ORDER BY id")).all()]
    crls = [
        bytes(r[0])
        for r in conn.execute(
            text("SELECT DISTINCT ON (ca_id) der FROM crls ORDER BY ca_id, this_update DESC, id DESC")
        ).all()
    ]
    return {"cas": cas, "crls": crls}


def certificate_owner(conn: Connection, issuer: str, serial_hex: str) -> dict[str, Any] | None:
    """Who holds the certificate (issuer DN + serial), with the states the login needs; None if unknown."""
    row = (
        conn.execute(
            text(
                "SELECT c.id AS certificate_id, c.active AS certificate_active, u.id AS user_id, u.active AS user_active, "
                "u.roles, u.surname, u.first_name, u.patronymic, o.id AS organization_id, o.active AS organization_active, "
                "o.name AS organization_name FROM certificates c JOIN users u ON u.id = c.user_id "
                "JOIN organizations o ON o.id = u.organization_id WHERE c.issuer = :i AND c.serial_hex = :s"
            ),
            {"i": issuer, "s": serial_hex},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def listing(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    orgs = conn.execute(text("SELECT id, name, kind, registry_code, active FROM organizations ORDER BY id")).mappings()
    users = conn.execute(
        text(
            "SELECT u.id, u.organization_id, u.surname, u.first_name, u.patronymic, u.roles, u.active, "
            "coalesce(array_agg(DISTINCT e.email) FILTER (WHERE e.email IS NOT NULL), '{}') AS emails, "
            "coalesce(array_agg(DISTINCT c.serial_hex) FILTER (WHERE c.serial_hex IS NOT NULL), '{}') AS certificates "
            "FROM users u LEFT JOIN user_emails e ON e.user_id = u.id LEFT JOIN certificates c ON c.user_id = u.id "
            "GROUP BY u.id ORDER BY u.id"
        )
    ).mappings()
    cas = conn.execute(text("SELECT id, subject, thumbprint, not_after, active FROM cas ORDER BY id")).mappings()
    return {"organizations": [dict(r) for r in orgs], "users": [dict(r) for r in users], "cas": [dict(r) for r in cas]}


# --- login challenges and sessions ------------------------------------------------------------------


def issue_challenge(conn: Connection, ttl_seconds: int = 120, live_max: int | None = None) -> dict[str, str] | None:
    """A random ASCII challenge (safe for the plug-in's btoa) that can be used once, before it expires.
    None when live_max unanswered challenges are alive already (anonymous callers cannot fill the table)."""
    challenge = "ozsp-login-" + "".join(secrets.choice(CHALLENGE_ALPHABET) for _ in range(40))
    challenge_id = conn.execute(
        text(
            "INSERT INTO auth_challenges (challenge, expires_at) SELECT :c, now() + make_interval(secs => :t) "
            "WHERE CAST(:max AS integer) IS NULL OR (SELECT count(*) FROM auth_challenges "
            "WHERE used_at IS NULL AND expires_at > now()) < :max RETURNING id"
        ),
        {"c": challenge, "t": ttl_seconds, "max": live_max},
    ).scalar()
    return None if challenge_id is None else {"id": str(challenge_id), "challenge": challenge}


def consume_challenge(conn: Connection, challenge_id: str) -> str | None:
    """The challenge text if it is unused and alive, and marks it used; None otherwise (expired or replayed)."""
    try:
        return conn.execute(
            text(
                "UPDATE auth_challenges SET used_at = now() WHERE id = CAST(:id AS uuid) AND used_at IS NULL "
                "AND expires_at > now() RETURNING challenge"
            ),
            {"id": str(challenge_id)},
        ).scalar()
    except Exception:  # not a UUID
        return None


def count_login_attempts(conn: Connection, address: str, serial_hex: str | None, seconds: int = 60) -> int:
    """Login attempts in the last `seconds` from this address, or with this certificate (whichever is more).
    For the certificate only attempts whose signature verified against it count: anyone can put a user's public
    certificate into a forged signature, and such attempts must not lock the user out."""
    return conn.execute(
        text(
            "SELECT greatest(count(*) FILTER (WHERE details->>'address' = :a), "
            "count(*) FILTER (WHERE CAST(:s AS text) IS NOT NULL AND object_id = :s "
            "AND details->>'verified' = 'true')) FROM audit "
            "WHERE action LIKE 'login.%' AND at > now() - make_interval(secs => :t)"
        ),
        {"a": address, "s": serial_hex, "t": seconds},
    ).scalar_one()


def purge_login_state(conn: Connection, absolute_hours: int = 12, keep_hours: int = 24) -> tuple[int, int]:
    """Drop expired challenges, and sessions ended or past their absolute timeout more than keep_hours ago.
    -> (challenges, sessions) dropped. The audit keeps every login."""
    challenges = conn.execute(text("DELETE FROM auth_challenges WHERE expires_at < now()")).rowcount
    sessions = conn.execute(
        text(
            "DELETE FROM sessions WHERE coalesce(ended_at, created_at + make_interval(hours => :abs)) "
            "< now() - make_interval(hours => :keep)"
        ),
        {"abs": int(absolute_hours), "keep": int(keep_hours)},
    ).rowcount
    return challenges, sessions


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(conn: Connection, user_id: int, organization_id: int, certificate_id: int | None = None) -> str:
    """A web session of a user of this organisation (a mismatched pair is refused: #20)."""
    if not conn.execute(
        text("SELECT 1 FROM users WHERE id = :u AND organization_id = :o"), {"u": user_id, "o": organization_id}
    ).first():
        raise DirectoryError(f"Пользователь {user_id} не состоит в организации {organization_id}: сеанс не открыт.")
    token = secrets.token_urlsafe(32)
    conn.execute(
        text("INSERT INTO sessions (token_hash, user_id, organization_id, certificate_id) VALUES (:h, :u, :o, :c)"),
        {"h": _token_hash(token), "u": user_id, "o": organization_id, "c": certificate_id},
    )
    return token


TOUCH_SECONDS = 60  # a session's idle timer is refreshed at most this often (no write on most API calls)


# A live session as CTEs (`live`: the session with its user and organisation; `touched`: its idle timer refreshed
# when older than TOUCH_SECONDS), for session_identity and for the calls that check the session on their way
# (store.create_request_in_session). Binds: session_binds().
SESSION_CTES = (
    "live AS (SELECT s.token_hash, s.last_seen_at, s.user_id, s.organization_id, u.surname, u.first_name, "
    "u.patronymic, u.roles, o.name AS organization_name FROM sessions s "
    "JOIN users u ON u.id = s.user_id AND u.organization_id = s.organization_id "
    "JOIN organizations o ON o.id = s.organization_id "
    "WHERE s.token_hash = :h AND s.ended_at IS NULL AND u.active AND o.active AND :role = ANY(u.roles) "
    "AND (s.certificate_id IS NULL OR EXISTS (SELECT 1 FROM certificates c WHERE c.id = s.certificate_id "
    "AND c.active)) "
    "AND s.last_seen_at > now() - make_interval(mins => :idle) "
    "AND s.created_at > now() - make_interval(hours => :abs)), "
    "touched AS (UPDATE sessions t SET last_seen_at = now() FROM live WHERE t.token_hash = live.token_hash "
    "AND live.last_seen_at < now() - make_interval(secs => :touch))"
)
_SESSION_IDENTITY = text(
    "WITH " + SESSION_CTES + " "
    "SELECT user_id, organization_id, surname, first_name, patronymic, roles, organization_name FROM live"
)


def session_binds(token: str | None, idle_minutes: int, absolute_hours: int) -> dict[str, Any]:
    return {
        "h": _token_hash(token or ""),
        "idle": int(idle_minutes),
        "abs": int(absolute_hours),
        "role": WEB_ROLE,
        "touch": TOUCH_SECONDS,
    }


def session_identity(
    conn: Connection, token: str | None, idle_minutes: int = 30, absolute_hours: int = 12
) -> dict[str, Any] | None:
    """The identity of a live session, refreshing its idle timer when it is older than TOUCH_SECONDS (so a session
    may end up to that much before its idle timeout); None when ended, idle or too old. The user, the organisation
    and the certificate it began with must still be active."""
    row = conn.execute(_SESSION_IDENTITY, session_binds(token, idle_minutes, absolute_hours)).mappings().first()
    return dict(row) if row else None


def end_session(conn: Connection, token: str | None) -> None:
    conn.execute(
        text("UPDATE sessions SET ended_at = now() WHERE token_hash = :h AND ended_at IS NULL"),
        {"h": _token_hash(token or "")},
    )
