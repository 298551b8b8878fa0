"""The rules of Приложение 2, in the manual's order: given a parsed letter and the directory's facts, the outcome
and the reply text. No I/O here: the caller installs, journals and sends what the Decision says."""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.certmail import messages as M
from services.certmail import zipcheck
from services.certmail.letters import Letter
from services.certmail.sender import Verdict
from shared.clock import to_moscow
from shared.gost import Certificate, TrustStore, errors, load_certificate, verify_certificate

Sender = Mapping[str, Any] | None  # the journal's record of the From: address, None when unknown

# Outcome codes (the letter journal's `outcome`); contracts/certmail.md describes each.
AUTO_SUBMITTED = "auto_submitted"
OTHER_TEMPLATE = "other_template"
UNTRUSTED = "untrusted_sender"
UNKNOWN_TEMPLATE = "unknown_template"
NO_CER = "no_cer"
INVALID_FILES = "invalid_files"
MALFORMED_CERT = "cert_malformed"
CERT_INVALID = "cert_invalid"
UNKNOWN_CA = "unknown_ca"
CRL_UNAVAILABLE = "crl_unavailable"
SNILS_MISMATCH = "snils_mismatch"
SNILS_MISSING = "snils_missing"  # neither the record nor the certificate has a СНИЛС (beyond the manual)
INSTALLED = "installed"
INSTALL_ERROR = "install_error"
INTERNAL_ERROR = "internal_error"

INVALID_REASONS = (errors.Expired, errors.NotYetValid, errors.Revoked, errors.CaInvalid, errors.WrongUsage)
CRL_REASONS = (errors.CrlMissing, errors.CrlStale, errors.CrlInvalid)


@dataclass
class Decision:
    outcome: str
    reply: str | None  # None: the letter is left without a reply
    detail: str | None = None  # a reason code for the journal (never personal data)
    cert: Certificate | None = None  # once parsed
    ca: Certificate | None = None  # the directory CA that issued it (for INSTALLED)
    notify_admin: bool = False  # UNKNOWN_CA, CRL_UNAVAILABLE, an unauthenticated registered address: a notice
    notify_owner: bool = False  # INSTALLED for a record without СНИЛС: the addresses of record are told


# detail of INSTALLED when the record had no СНИЛС: the owner's addresses get a notice (kept for a resend)
RECORD_WITHOUT_SNILS = "record_without_snils"


def digits(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch.isdigit())


def authenticated(verdict: Verdict | None) -> bool:
    """The sender is who From: says (services/certmail/sender.py); no verdict counts as not authenticated."""
    return bool(verdict is not None and verdict.ok)


def trusted(sender: Sender, verdict: Verdict | None) -> bool:
    """Rule 1: «с доверенного адреса» — a registered address of an active user of an active organisation, and
    the letter really from it (an authenticated sender)."""
    return bool(sender and sender.get("user_active") and sender.get("organization_active") and authenticated(verdict))


def untrusted(sender: Sender, verdict: Verdict | None) -> Decision:
    """No reply. A registered address named by an unauthenticated sender: the administrator is told."""
    if not sender:
        return Decision(UNTRUSTED, None, detail="unknown_address")
    if not authenticated(verdict):
        return Decision(UNTRUSTED, None, detail=verdict.reason if verdict else "not_authenticated", notify_admin=True)
    return Decision(UNTRUSTED, None, detail="inactive")


def check_subject_and_sender(
    letter: Letter, sender: Sender, other_templates: Collection[str] = (), verdict: Verdict | None = None
) -> Decision | None:
    subject = letter.subject.strip().upper()
    if subject != M.ADD_CERT:
        if subject in other_templates:
            return Decision(OTHER_TEMPLATE, None)  # another process's letter: not ours to answer
        if trusted(sender, verdict):
            return Decision(UNKNOWN_TEMPLATE, M.UNKNOWN_TEMPLATE)
        return untrusted(sender, verdict)
    if not trusted(sender, verdict):
        return untrusted(sender, verdict)
    return None


DEFAULT_LIMITS = zipcheck.Limits()


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip()


def check_attachments(letter: Letter, limits: zipcheck.Limits = DEFAULT_LIMITS) -> Decision | tuple[str, bytes]:
    """Rule 2: a Decision refusing the letter, or (cer name, cer bytes)."""
    if letter.malformed:
        return Decision(INVALID_FILES, M.INVALID_FILES, detail="malformed_mime")
    if not letter.attachments:
        return Decision(NO_CER, M.NO_CER, detail="no_attachment")
    if len(letter.attachments) > 1:
        return Decision(INVALID_FILES, M.INVALID_FILES, detail="several_attachments")
    attachment = letter.attachments[0]
    if attachment.content is None:
        return Decision(INVALID_FILES, M.INVALID_FILES, detail="attachment_too_large")
    name = _basename(attachment.filename)
    if not name.lower().endswith(".zip"):
        return Decision(INVALID_FILES, M.INVALID_FILES, detail="not_a_zip_attachment")
    try:
        return zipcheck.extract_certificate(name, attachment.content, limits)
    except zipcheck.Refused as refused:
        if refused.reason == zipcheck.NO_CER:
            return Decision(NO_CER, M.NO_CER, detail=refused.reason)
        return Decision(INVALID_FILES, M.INVALID_FILES, detail=refused.reason)


def forged(cert: Certificate, store: TrustStore) -> bool:
    """Names a directory CA (and its key id) as issuer, yet no directory CA's key verifies the signature.
    A CA with the same name but another key id is a new CA key: unknown, not forged."""
    for ca in store.cas:
        if ca.subject == cert.issuer and (
            not cert.authority_key_id or not ca.subject_key_id or cert.authority_key_id == ca.subject_key_id
        ):
            return True
    return False


def check_certificate(
    data: bytes, trust_store: Callable[[], TrustStore], now: datetime | None = None
) -> Decision | tuple[Certificate, Certificate]:
    """Rule 3: a Decision refusing the certificate, or (certificate, issuing CA). trust_store: a callable
    returning the shared.gost TrustStore of the directory (called only when a certificate was found)."""
    try:
        cert = load_certificate(data)
    except Exception:  # Malformed, and whatever else broken ASN.1 may provoke
        return Decision(MALFORMED_CERT, M.INSTALL_ERROR.format(message=M.ERROR_MALFORMED), detail="malformed")
    store = trust_store()
    invalid = Decision(CERT_INVALID, M.CERT_INVALID.format(serial=cert.serial_hex), cert=cert)
    try:
        chain = verify_certificate(cert, store, now=now)
    except INVALID_REASONS as refusal:
        invalid.detail = refusal.reason
        return invalid
    except errors.UnknownCa:
        if forged(cert, store):
            invalid.detail = "forged_signature"
            return invalid
        return Decision(
            UNKNOWN_CA, M.UNKNOWN_CA.format(serial=cert.serial_hex), detail="unknown_ca", cert=cert, notify_admin=True
        )
    except CRL_REASONS as refusal:
        return Decision(
            CRL_UNAVAILABLE,
            M.INSTALL_ERROR.format(message=M.ERROR_CRL),
            detail=refusal.reason,
            cert=cert,
            notify_admin=True,
        )
    except errors.GostError as refusal:  # bad_signature, unsupported algorithm of the CA, ...
        invalid.detail = refusal.reason
        return invalid
    return cert, chain[-1]


def check_snils(cert: Certificate, sender: Mapping[str, Any]) -> Decision | None:
    """Rule 4: equal, or empty in the record; a certificate without СНИЛС differs from a non-empty record.
    Beyond the manual: a record without СНИЛС takes only a certificate with one (who it belongs to must be
    known, and the record keeps it from then on)."""
    record = digits(sender.get("snils"))
    if record and record != digits(cert.snils):
        return Decision(SNILS_MISMATCH, M.SNILS_MISMATCH, detail="snils_mismatch", cert=cert)
    if not record and not digits(cert.snils):
        return Decision(
            SNILS_MISSING, M.INSTALL_ERROR.format(message=M.ERROR_NO_SNILS), detail="snils_missing", cert=cert
        )
    return None


def moscow_time(moment: datetime) -> str:
    return to_moscow(moment).strftime("%d.%m.%Y %H:%M:%S")


def success(cert: Certificate, ca: Certificate, record_without_snils: bool = False) -> Decision:
    """Rule 5: the reply once the certificate is installed."""
    text = M.SUCCESS.format(
        cn=cert.cn or str(cert.subject), not_before=moscow_time(cert.not_before), not_after=moscow_time(cert.not_after)
    )
    if record_without_snils:
        return Decision(INSTALLED, text, detail=RECORD_WITHOUT_SNILS, cert=cert, ca=ca, notify_owner=True)
    return Decision(INSTALLED, text, cert=cert, ca=ca)


def install_error(message: str, cert: Certificate | None = None) -> Decision:
    return Decision(INSTALL_ERROR, M.INSTALL_ERROR.format(message=message), detail="install", cert=cert)


def decide(
    letter: Letter,
    sender: Sender,
    trust_store: Callable[[], TrustStore],
    limits: zipcheck.Limits = DEFAULT_LIMITS,
    other_templates: Collection[str] = (),
    now: datetime | None = None,
    verdict: Verdict | None = None,
) -> Decision:
    """Rules 1-5 up to the installation: the Decision for one letter. verdict: services/certmail/sender.Verdict
    of the letter (None: not authenticated)."""
    if letter.auto_submitted:  # an auto-reply or a bounce: answering it could start a loop between robots
        return Decision(AUTO_SUBMITTED, None)
    decision = check_subject_and_sender(letter, sender, other_templates, verdict)
    if decision:
        return decision
    found = check_attachments(letter, limits)
    if isinstance(found, Decision):
        return found
    checked = check_certificate(found[1], trust_store, now)
    if isinstance(checked, Decision):
        return checked
    cert, ca = checked
    record = sender or {}  # trusted: never None here
    return check_snils(cert, record) or success(cert, ca, record_without_snils=not digits(record.get("snils")))


def certificate_of(letter: Letter, limits: zipcheck.Limits = DEFAULT_LIMITS) -> Certificate | None:
    """The certificate in a letter, re-read when a reply is sent again after a restart; None if absent."""
    found = check_attachments(letter, limits)
    if isinstance(found, Decision):
        return None
    try:
        return load_certificate(found[1])
    except Exception:
        return None
