"""Login by a signed challenge: the decision, as a plain function. Crypto checks come from shared.gost,
the directory facts from the journal; this module says yes or gives the manual's refusal (Рисунок 4)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.gateway import messages
from shared.gost import GostError, TrustStore, verify_signed_challenge
from shared.gost.cms import signer_certificate


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


def refuse(reason: str, message: str, serial: str | None = None, verified: bool = False) -> LoginResult:
    return LoginResult(False, reason, message, serial, verified=verified)


def decide(owner: Mapping[str, Any] | None, serial: str | None) -> LoginResult:
    """Directory facts of a cryptographically valid certificate -> the login result."""
    if owner is None:
        return refuse("unknown_certificate", messages.UNKNOWN_CERTIFICATE, serial)
    if not owner["certificate_active"]:
        return refuse("certificate_withdrawn", messages.CERTIFICATE_WITHDRAWN, serial)
    if not owner["organization_active"]:
        return refuse("organization_inactive", messages.ORGANIZATION_INACTIVE, serial)
    if not owner["user_active"]:
        return refuse("user_inactive", messages.USER_INACTIVE, serial)
    if "web" not in (owner.get("roles") or []):
        return refuse("no_web_role", messages.NO_WEB_ROLE, serial)
    identity = {"user_id": owner["user_id"], "organization_id": owner["organization_id"]}
    return LoginResult(True, "ok", "", serial, identity, owner["certificate_id"], verified=True)


def decided(owner: Mapping[str, Any] | None, serial: str | None) -> LoginResult:
    """decide() of a signature that verified: every such result counts for the certificate's attempt limit."""
    result = decide(owner, serial)
    result.verified = True
    return result


def check_signature(
    p7s: bytes | str,
    challenge: str,
    trust_store: TrustStore,
    now: datetime | None = None,
    crl_grace: timedelta | None = None,
) -> "Signer | LoginResult":
    """The signed challenge -> Signer, or a refusal whose .verified says whether the signature itself verified
    (then only the certificate was refused: expired, revoked, unknown CA…). CPU only, no I/O: the gateway runs it
    in a thread of its own."""
    serial = serial_of(p7s)
    try:
        signer = verify_signed_challenge(
            p7s, challenge.encode("ascii"), trust_store, now=now, crl_grace=crl_grace or timedelta(0)
        )
    except GostError as exc:
        reason = getattr(exc, "reason", "malformed")
        return refuse(
            reason,
            messages.LOGIN_REASONS.get(reason, messages.LOGIN_REASONS["malformed"]),
            serial,
            verified=exc.signature_valid,
        )
    return Signer(str(signer.certificate.issuer), signer.certificate.serial_hex)


def authenticate(
    p7s: bytes | str,
    challenge: str,
    trust_store: TrustStore,
    find_owner: Callable[[str, str], Mapping[str, Any] | None],
    now: datetime | None = None,
    crl_grace: timedelta | None = None,
) -> LoginResult:
    """Verify the signed challenge, then ask the directory. find_owner(issuer, serial_hex) -> owner | None."""
    checked = check_signature(p7s, challenge, trust_store, now=now, crl_grace=crl_grace)
    if isinstance(checked, LoginResult):
        return checked
    return decided(find_owner(checked.issuer, checked.serial_hex), checked.serial_hex)


def serial_of(p7s: bytes | str) -> str | None:
    """The signer certificate's serial for the refusal box, even when verification fails."""
    cert = signer_certificate(p7s)
    return cert.serial_hex if cert else None
