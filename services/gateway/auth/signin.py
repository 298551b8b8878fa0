"""Login by a signed challenge: the decision, as a plain function. Crypto checks come from shared.gost,
the directory facts from the journal; this module says yes or gives the manual's refusal (Рисунок 4)."""

from dataclasses import dataclass, field

from shared.gost import GostError, verify_signed_challenge
from shared.gost.cms import signer_certificate

TITLE = "Ошибка аутентификации"
USER_INACTIVE = "Пользователь помечен как не действующий в справочнике абонентов"
ORGANIZATION_INACTIVE = "Организация помечена как не действующая в справочнике абонентов"
UNKNOWN_CERTIFICATE = "Сертификат не зарегистрирован в справочнике абонентов"
CERTIFICATE_WITHDRAWN = "Сертификат исключён из справочника абонентов"
NO_WEB_ROLE = "Пользователю не предоставлена роль «Веб» в справочнике абонентов"
CHALLENGE_GONE = (
    "Срок действия запроса на вход истёк или он уже использован. Обновите страницу (Ctrl+F5) и повторите вход"
)
TOO_MANY = "Слишком много попыток входа. Повторите попытку через минуту"

# shared.gost refusal reasons -> messages
REASONS = {
    "expired": "Срок действия сертификата истёк",
    "not_yet_valid": "Срок действия сертификата ещё не наступил",
    "revoked": "Сертификат отозван удостоверяющим центром",
    "unknown_ca": "Сертификат выдан удостоверяющим центром, не зарегистрированным в справочнике удостоверяющих центров",
    "ca_invalid": "Сертификат удостоверяющего центра недействителен",
    "key_usage": "Сертификат не предназначен для электронной подписи при входе (проверки подлинности клиента)",
    "crl_missing": "Нет списка отозванных сертификатов удостоверяющего центра: проверить сертификат невозможно",
    "crl_stale": "Список отозванных сертификатов удостоверяющего центра устарел: проверить сертификат невозможно",
    "crl_invalid": "Список отозванных сертификатов удостоверяющего центра повреждён: проверить сертификат невозможно",
    "bad_signature": "Электронная подпись не прошла проверку",
    "digest_mismatch": "Электронная подпись не прошла проверку",
    "content_mismatch": "Подписаны не те данные, что выдал сервис. Обновите страницу и повторите вход",
    "signing_time": "Время подписи расходится с текущим временем. Проверьте часы компьютера",
    "cert_mismatch": "Электронная подпись не прошла проверку",
    "signer_cert_missing": "В подписи нет сертификата. Повторите вход",
    "unsupported_algorithm": "Алгоритм подписи не поддерживается: нужна подпись по ГОСТ Р 34.10-2012",
    "malformed": "Подпись повреждена или имеет неверный формат",
}


@dataclass
class LoginResult:
    ok: bool
    reason: str
    message: str = ""
    serial: str | None = None
    identity: dict = field(default_factory=dict)
    certificate_id: int | None = None
    verified: bool = False  # the signature verified against the certificate's key (counts for its attempt limit)


@dataclass(frozen=True)
class Signer:
    """A signature that verified, by a certificate of a trusted CA: who to look for in the directory."""

    issuer: str
    serial_hex: str


def refuse(reason, message, serial=None, verified=False):
    return LoginResult(False, reason, message, serial, verified=verified)


def decide(owner, serial):
    """Directory facts of a cryptographically valid certificate -> the login result."""
    if owner is None:
        return refuse("unknown_certificate", UNKNOWN_CERTIFICATE, serial)
    if not owner["certificate_active"]:
        return refuse("certificate_withdrawn", CERTIFICATE_WITHDRAWN, serial)
    if not owner["organization_active"]:
        return refuse("organization_inactive", ORGANIZATION_INACTIVE, serial)
    if not owner["user_active"]:
        return refuse("user_inactive", USER_INACTIVE, serial)
    if "web" not in (owner.get("roles") or []):
        return refuse("no_web_role", NO_WEB_ROLE, serial)
    identity = {"user_id": owner["user_id"], "organization_id": owner["organization_id"]}
    return LoginResult(True, "ok", "", serial, identity, owner["certificate_id"], verified=True)


def decided(owner, serial):
    """decide() of a signature that verified: every such result counts for the certificate's attempt limit."""
    result = decide(owner, serial)
    result.verified = True
    return result


def check_signature(p7s, challenge, trust_store, now=None, crl_grace=None):
    """The signed challenge -> Signer, or a refusal whose .verified says whether the signature itself verified
    (then only the certificate was refused: expired, revoked, unknown CA…). CPU only, no I/O: the gateway runs it
    in a thread of its own."""
    from datetime import timedelta

    serial = serial_of(p7s)
    try:
        signer = verify_signed_challenge(
            p7s, challenge.encode("ascii"), trust_store, now=now, crl_grace=crl_grace or timedelta(0)
        )
    except GostError as exc:
        reason = getattr(exc, "reason", "malformed")
        return refuse(reason, REASONS.get(reason, REASONS["malformed"]), serial, verified=exc.signature_valid)
    return Signer(str(signer.issuer), signer.serial_hex)


def authenticate(p7s, challenge, trust_store, find_owner, now=None, crl_grace=None):
    """Verify the signed challenge, then ask the directory. find_owner(issuer, serial_hex) -> owner | None."""
    checked = check_signature(p7s, challenge, trust_store, now=now, crl_grace=crl_grace)
    if isinstance(checked, LoginResult):
        return checked
    return decided(find_owner(checked.issuer, checked.serial_hex), checked.serial_hex)


def serial_of(p7s):
    """The signer certificate's serial for the refusal box, even when verification fails."""
    cert = signer_certificate(p7s)
    return cert.serial_hex if cert else None
