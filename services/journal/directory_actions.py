"""The one code path for changes of the subscriber directory: `ozsp directory …` and the administrator's pages
(through journal.directory_change) both call perform(). Each change is audited by directory.py with the acting
administrator's name and the old and new values. Files (.cer, .crl) come as bytes.

Changes that lock someone out (LOCKOUT) are confirmed first: lockout_notice() says whom they lock out, and the
pages ask for confirmation before they call perform()."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from services.journal import directory as D

Params = dict[str, Any]

LOCKOUT = ("org-deactivate", "user-deactivate", "cert-withdraw", "user-roles", "email-remove")


def _int(params: Params, key: str) -> int:
    try:
        return int(str(params.get(key)).strip())
    except (TypeError, ValueError):
        raise D.DirectoryError(f"Не указан номер записи ({key}).") from None


def _text(params: Params, key: str, required: bool = True) -> str | None:
    value = str(params.get(key) or "").strip()
    if required and not value:
        raise D.DirectoryError(f"Не заполнено поле «{FIELD_NAMES.get(key, key)}».")
    if len(value) > 500:
        raise D.DirectoryError(f"Поле «{FIELD_NAMES.get(key, key)}» длиннее 500 знаков.")
    return value or None


FIELD_NAMES = {
    "name": "Наименование",
    "kind": "Вид организации",
    "surname": "Фамилия",
    "first_name": "Имя",
    "email": "Адрес электронной почты",
}


def _file(params: Params, key: str = "file") -> bytes:
    data = params.get(key)
    if not isinstance(data, bytes | bytearray) or not data:
        raise D.DirectoryError("Выберите файл.")
    if len(data) > 1_000_000:
        raise D.DirectoryError("Файл больше 1 МБ: это не сертификат и не список отзыва.")
    return bytes(data)


def _certificate(params: Params) -> Any:
    from shared.gost import GostError, load_certificate

    try:
        return load_certificate(_file(params))
    except GostError:
        raise D.DirectoryError("Файл не является сертификатом ГОСТ (.cer: DER, PEM или base64).") from None


def _org_add(conn: Connection, p: Params, actor: str) -> str:
    kind = _text(p, "kind") or ""
    org_id = D.add_organization(
        conn, _text(p, "name") or "", kind, _text(p, "code", False), _text(p, "ogrn", False), actor
    )
    return f"Организация {org_id} добавлена."


def _org_active(active: bool) -> Callable[[Connection, Params, str], str]:
    def change(conn: Connection, p: Params, actor: str) -> str:
        org_id = _int(p, "id")
        D.set_organization_active(conn, org_id, active, actor)
        return f"Организация {org_id} помечена как {'действующая' if active else 'не действующая'}."

    return change


def _user_add(conn: Connection, p: Params, actor: str) -> str:
    roles = p.get("roles") or ["web"]
    if any(r not in D.ROLES for r in roles):
        raise D.DirectoryError("Роли пользователя: web («Веб»), admin (администратор), auditor (аудитор).")
    emails = [e for e in (p.get("emails") or []) if str(e).strip()]
    user_id = D.add_user(
        conn,
        _int(p, "org"),
        _text(p, "surname") or "",
        _text(p, "first_name") or "",
        _text(p, "patronymic", False),
        _snils(_text(p, "snils", False)),
        _text(p, "position", False),
        tuple(roles),
        emails,
        actor,
    )
    return f"Пользователь {user_id} добавлен."


def _snils(value: str | None) -> str | None:
    if value is None:
        return None
    from shared.checksums import snils_ok

    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) != 11 or not snils_ok(digits):
        raise D.DirectoryError("СНИЛС: 11 цифр с верным контрольным числом (например, 112-233-445 95).")
    return digits


def _user_active(active: bool) -> Callable[[Connection, Params, str], str]:
    def change(conn: Connection, p: Params, actor: str) -> str:
        user_id = _int(p, "id")
        D.set_user_active(conn, user_id, active, actor)
        return f"Пользователь {user_id} помечен как {'действующий' if active else 'не действующий'}."

    return change


def _user_roles(conn: Connection, p: Params, actor: str) -> str:
    D.set_user_roles(conn, _int(p, "id"), p.get("roles") or [], actor)
    return "Роли пользователя изменены."


def _email_add(conn: Connection, p: Params, actor: str) -> str:
    D.add_email(conn, _int(p, "user_id"), _text(p, "email"), actor)
    return "Доверенный адрес добавлен."


def _email_remove(conn: Connection, p: Params, actor: str) -> str:
    D.remove_email(conn, _int(p, "user_id"), _text(p, "email"), actor)
    return "Доверенный адрес удалён."


def _cert_add(conn: Connection, p: Params, actor: str) -> str:
    cert = _certificate(p)
    cert_id = D.add_certificate(conn, _int(p, "user_id"), cert, "admin", actor)
    return f"Сертификат s/n {cert.serial_hex} зарегистрирован (запись {cert_id})."


def _cert_id(conn: Connection, p: Params) -> int:
    if p.get("id") not in (None, ""):
        return _int(p, "id")
    if not p.get("serial"):
        raise D.DirectoryError("Укажите серийный номер сертификата или --id.")
    return D.certificate_by_serial(conn, str(p["serial"]))


def _cert_withdraw(conn: Connection, p: Params, actor: str) -> str:
    cert_id = _cert_id(conn, p)
    ended = D.set_certificate_active(conn, cert_id, False, actor)
    return f"Сертификат (запись {cert_id}) исключён из справочника; завершено сеансов: {ended}."


def _cert_activate(conn: Connection, p: Params, actor: str) -> str:
    cert_id = _cert_id(conn, p)
    D.set_certificate_active(conn, cert_id, True, actor)
    return f"Сертификат (запись {cert_id}) снова действует."


def _ca_import(conn: Connection, p: Params, actor: str) -> str:
    cert = _certificate(p)
    return f"Удостоверяющий центр добавлен (запись {D.import_ca(conn, cert, actor)}): {cert.subject}"


def _crl_import(conn: Connection, p: Params, actor: str) -> str:
    from shared.gost import GostError, load_crl

    try:
        crl = load_crl(_file(p))
    except GostError:
        raise D.DirectoryError("Файл не является списком отозванных сертификатов (.crl).") from None
    return f"Список отозванных сертификатов загружен (запись {D.import_crl(conn, crl, actor)})."


ACTIONS: dict[str, Callable[[Connection, Params, str], str]] = {
    "org-add": _org_add,
    "org-deactivate": _org_active(False),
    "org-activate": _org_active(True),
    "user-add": _user_add,
    "user-deactivate": _user_active(False),
    "user-activate": _user_active(True),
    "user-roles": _user_roles,
    "email-add": _email_add,
    "email-remove": _email_remove,
    "cert-add": _cert_add,
    "cert-withdraw": _cert_withdraw,
    "cert-activate": _cert_activate,
    "ca-import": _ca_import,
    "crl-import": _crl_import,
}


def perform(conn: Connection, action: str, params: Params, actor: str) -> str:
    """Make one change as `actor` (the administrator's name); -> the Russian result. DirectoryError when refused
    (the caller rolls back: nothing changes)."""
    if action not in ACTIONS:
        raise D.DirectoryError("Неизвестное действие со справочником.")
    if not (actor or "").strip():
        raise D.DirectoryError("Не указан администратор, выполняющий изменение.")
    return ACTIONS[action](conn, params, actor)


def _live_sessions(conn: Connection, where: str, value: int) -> int:
    return int(
        conn.execute(
            text(f"SELECT count(*) FROM sessions s WHERE s.ended_at IS NULL AND {where}"), {"v": value}
        ).scalar_one()
    )


def lockout_notice(conn: Connection, action: str, params: Params) -> str | None:
    """What a change that locks someone out does, for the confirmation; None when it locks nobody out."""
    if action not in LOCKOUT:
        return None
    if action == "org-deactivate":
        org_id = _int(params, "id")
        users: int = conn.execute(
            text("SELECT count(*) FROM users WHERE organization_id = :o AND active"), {"o": org_id}
        ).scalar_one()
        sessions = _live_sessions(conn, "s.organization_id = :v", org_id)
        return (
            f"Все пользователи организации (действующих: {users}) не смогут войти в Сервис; "
            f"открытых сеансов: {sessions}."
        )
    if action == "user-deactivate":
        user_id = _int(params, "id")
        return f"Пользователь не сможет войти в Сервис; открытых сеансов: {_live_sessions(conn, 's.user_id = :v', user_id)}."
    if action == "cert-withdraw":
        cert_id = _cert_id(conn, params)
        sessions = _live_sessions(conn, "s.certificate_id = :v", cert_id)
        return f"По этому сертификату войти будет нельзя; его открытые сеансы ({sessions}) завершатся сразу."
    if action == "user-roles":
        if "web" in (params.get("roles") or []):
            return None
        return "Без роли «Веб» пользователь не сможет войти в Сервис."
    return "С этого адреса больше не будут приниматься письма регистрации сертификатов (Приложение 2)."
