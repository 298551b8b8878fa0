"""One letter from the queue to its journaled outcome and its reply. No nameko here: service.py passes the
journal proxy, the mailer and the settings in a Context, so tests can pass fakes."""

import base64
import binascii
import hashlib
import json
import logging
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from services.certmail import certfiles, dkimdns, letters, rules, sender, zipcheck
from services.certmail import messages as M
from shared import outbox
from shared.config import Settings
from shared.gost import Certificate, TrustStore, load_certificate, load_crl
from shared.masking import keyed_hash

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """The journal or the relay is unavailable: the letter is retried later, nothing is decided."""


@dataclass
class Context:
    journal: Any  # mail_claim, mail_signature, mail_finish, mail_register, mail_delivered, trust_material
    mailer: Any  # send(EmailMessage)
    settings: Settings
    dns: dkimdns.Lookup | None = (
        None  # DKIM key lookup (services/certmail/dkimdns.py); None: the one the settings choose
    )

    @property
    def lookup(self) -> dkimdns.Lookup:
        return self.dns or dkimdns.lookup_for(self.settings)

    @property
    def policy(self) -> sender.Policy:
        return sender.Policy.from_settings(self.settings)

    @property
    def limits(self) -> zipcheck.Limits:
        s = self.settings
        return zipcheck.Limits(
            max_entries=s.zip_max_entries, max_total=s.zip_max_total_bytes, max_ratio=s.zip_max_ratio
        )

    @property
    def other_templates(self) -> set[str]:
        return {t.strip().upper() for t in self.settings.mail_other_templates.split(",") if t.strip()}


def where(exc: BaseException) -> str:
    """An exception as its type and innermost code location: its message may carry an address or a name."""
    frames = traceback.extract_tb(exc.__traceback__)
    place = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{place}"


@dataclass
class Queued:
    letter_id: str
    received_at: str | None
    raw: bytes
    mail_from: str | None  # the SMTP envelope sender
    peer: str | None  # the address that handed the letter to the intake


def queued_letter(body: object) -> Queued | None:
    """The Queued letter of a queue message, or None when it is not one of the intake's."""
    if not isinstance(body, dict) or not body.get("letter_id") or not isinstance(body.get("raw_b64"), str):
        return None
    try:
        raw = base64.b64decode(body["raw_b64"], validate=True)
    except (binascii.Error, ValueError):
        return None

    def text_or_none(v: object) -> str | None:
        return v if isinstance(v, str) else None

    return Queued(
        str(body["letter_id"]),
        body.get("received_at"),
        raw,
        text_or_none(body.get("mail_from")),
        text_or_none(body.get("peer")),
    )


def sender_tag(address: str | None, secret: str) -> str:
    """A log-safe stand-in for an e-mail address (personal data never reaches the logs): a keyed hash, so a
    reader of the logs cannot confirm a guessed address without SECRET_KEY."""
    if not address:
        return "none"
    return "h:" + keyed_hash(secret, address.lower())[:12]


_stores: dict[str, TrustStore] = {}


def trust_store(journal: Any) -> TrustStore:
    """The directory's CAs and CRLs as a TrustStore, rebuilt only when they change."""
    try:
        material = journal.trust_material()
    except Exception as exc:
        raise TemporaryFailure("trust material unavailable") from exc
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    store = _stores.get(digest)
    if store is None:
        store = TrustStore()
        for kind, add, load in (("cas", store.add_ca, load_certificate), ("crls", store.add_crl, load_crl)):
            for item in material.get(kind, []):
                try:
                    add(load(base64.b64decode(item)))  # type: ignore[arg-type]  # add and load paired above
                except Exception:
                    log.error("an unreadable %s entry of the directory is ignored", kind)
        _stores.clear()
        _stores[digest] = store
    return store


def handle(body: object, ctx: Context, now: datetime | None = None) -> str:
    """Process one queued letter {letter_id, received_at, raw_b64}; returns its outcome code.
    Raises (the message is redelivered) only when the journal or the relay fails."""
    s = ctx.settings
    queued = queued_letter(body)
    if queued is None:
        log.error("a queue message that is not a letter is dropped")
        return "not_a_letter"
    letter = letters.parse(queued.raw, s.mail_max_attachment_bytes)
    claim = ctx.journal.mail_claim(
        {
            "key": letter.key,
            "holder": queued.letter_id,
            "message_id": letter.message_id,
            "received_at": queued.received_at,
            "sender": letter.sender,
            "subject": letter.subject,
        }
    )
    if claim["state"] == "busy":
        log.info("letter %s: another copy is being processed; this one is dropped", letter.key[:12])
        return "duplicate"
    if claim["state"] == "done":
        if claim["reply_due"]:
            deliver(
                ctx,
                letter,
                claim["outcome"],
                claim["reply_text"],
                rules.certificate_of(letter, ctx.limits),
                claim.get("detail"),
                claim.get("sender"),
            )
            ctx.journal.mail_delivered(letter.key)
        return "duplicate"
    verdict = authenticate(ctx, letter, queued, claim["sender"])

    def decide() -> rules.Decision:
        return rules.decide(
            letter, claim["sender"], lambda: trust_store(ctx.journal), ctx.limits, ctx.other_templates, now, verdict
        )

    try:
        decision = decide()
        if decision.outcome == rules.CRL_UNAVAILABLE and fetch_crl(ctx, letter, decision.cert) == "stored":
            decision = decide()  # the CA's CRL was just downloaded from the certificate's distribution point
    except TemporaryFailure:
        raise
    except Exception as exc:  # a defect on hostile input must not stop the service: journal it, no reply
        log.error("letter %s: processing failed: %s", letter.key[:12], where(exc))
        decision = rules.Decision(rules.INTERNAL_ERROR, None, detail="exception")

    user_id = (claim["sender"] or {}).get("user_id")
    if decision.outcome == rules.UNKNOWN_CA and decision.cert is not None:  # kept in the technical folder first
        certfiles.quarantine(s.cert_quarantine_dir, decision.cert)
        ctx.journal.mail_quarantine(  # the administrator's quarantine page; the result letter follows the decision
            letter.key, user_id, letter.sender, base64.b64encode(decision.cert.der).decode()
        )
    if decision.outcome == rules.INSTALLED:
        decision = install(ctx, letter, user_id, decision)
    else:
        ctx.journal.mail_finish(
            letter.key,
            decision.outcome,
            decision.reply,
            decision.detail,
            user_id,
            bool(decision.reply or decision.notify_admin),
        )
    log.info(
        "letter %s from %s (%s): %s (%s)",
        letter.key[:12],
        sender_tag(letter.sender, s.secret_key),
        verdict.reason if verdict else "-",
        decision.outcome,
        decision.detail or "-",
    )
    if decision.reply or decision.notify_admin or decision.notify_owner:
        deliver(ctx, letter, decision.outcome, decision.reply, decision.cert, decision.detail, claim["sender"])
        ctx.journal.mail_delivered(letter.key)
    return decision.outcome


def authenticate(
    ctx: Context, letter: letters.Letter, queued: Queued, facts: Mapping[str, Any] | None
) -> sender.Verdict | None:
    """The sender.Verdict of a letter naming a registered address (facts), None for any other letter: an unknown
    address is untrusted anyway, and its domain's DNS (perhaps an attacker's, slow on purpose) is never asked.
    A signature that already authenticated another letter makes this one a replay."""
    if not facts:
        return None
    try:
        verdict = sender.authenticate(queued.raw, letter.sender, queued.mail_from, queued.peer, ctx.policy, ctx.lookup)
    except sender.DnsUnavailable as exc:
        raise TemporaryFailure("DNS did not answer for a DKIM key") from exc
    except Exception as exc:  # a defect on hostile input: not authenticated
        log.error("letter %s: the sender check failed: %s", letter.key[:12], where(exc))
        return sender.Verdict(False, sender.CHECK_FAILED)
    if verdict.ok and verdict.signature_key and not ctx.journal.mail_signature(letter.key, verdict.signature_key):
        return sender.Verdict(False, sender.REPLAYED, verdict.domain)
    return verdict


def fetch_crl(ctx: Context, letter: letters.Letter, cert: Certificate | None) -> str | None:
    """Ask the journal to download the CRL of the certificate's CA from the certificate's distribution points."""
    if cert is None or not cert.crl_urls:
        return None
    try:
        result = ctx.journal.crl_fetch_for(base64.b64encode(cert.der).decode())
    except Exception as exc:
        raise TemporaryFailure("the journal could not fetch the CRL") from exc
    log.info(
        "letter %s: the CA's CRL was missing or stale; download from the certificate's distribution point: %s",
        letter.key[:12],
        result,
    )
    return result


def install(ctx: Context, letter: letters.Letter, user_id: int | None, decision: rules.Decision) -> rules.Decision:
    """Rule 4: the .cer into the store, then the directory (one transaction in the journal)."""
    cert, ca = decision.cert, decision.ca
    assert cert is not None and ca is not None  # an INSTALLED decision names both
    try:
        path, created = certfiles.install(ctx.settings.cert_store_dir, cert)
    except OSError:
        log.exception("letter %s: the certificate store cannot be written", letter.key[:12])
        decision = rules.install_error(M.ERROR_STORE, cert)
        ctx.journal.mail_finish(letter.key, decision.outcome, decision.reply, "store_write", user_id, True)
        return decision
    result = ctx.journal.mail_register(
        letter.key,
        user_id,
        base64.b64encode(cert.der).decode(),
        base64.b64encode(ca.der).decode(),
        decision.reply,
        decision.detail,
    )
    if result["ok"]:
        return decision
    if created:
        certfiles.uninstall(path)
    decision = rules.install_error(result["error"], cert)
    ctx.journal.mail_finish(letter.key, decision.outcome, decision.reply, "directory", user_id, True)
    return decision


def _send(ctx: Context, letter: letters.Letter, msg: EmailMessage) -> None:
    """Send; a permanent refusal by the relay (5xx) is logged and given up, anything else is retried."""
    try:
        ctx.mailer.send(msg)
    except outbox.PermanentFailure as exc:
        log.warning("letter %s: the relay refused a reply for good (%s)", letter.key[:12], exc.code)


def deliver(
    ctx: Context,
    letter: letters.Letter,
    outcome: str,
    reply_text: str | None,
    cert: Certificate | None,
    detail: str | None = None,
    facts: Mapping[str, Any] | None = None,
) -> None:
    """The reply to the sender; for a certificate installed for a record without СНИЛС, the notice to the
    addresses of record; for an unauthenticated sender naming a registered address, a certificate of an unknown
    CA or one without a CRL, the administrator's notice."""
    s = ctx.settings
    if reply_text and letter.sender:
        subject = M.REPLY_SUBJECT.format(subject=letter.subject or M.ADD_CERT)
        _send(
            ctx,
            letter,
            letters.build_reply(letter.key, letter.sender, subject, reply_text, s.mail_from, letter.message_id),
        )
    if outcome == rules.INSTALLED and detail == rules.RECORD_WITHOUT_SNILS and cert is not None:
        tell_owner(ctx, letter, cert, (facts or {}).get("emails") or [letter.sender])
    if outcome == rules.UNTRUSTED and s.admin_email:
        text = M.ADMIN_UNAUTHENTICATED_BODY.format(
            reason=M.SENDER_REASONS.get(detail or "", M.SENDER_REASON_OTHER),
            sender=letter.sender,
            subject=letters.one_line(letter.subject, 200) or "-",
            message_id=letter.message_id or "-",
        )
        _send(
            ctx,
            letter,
            letters.build_notice(letter.key, s.admin_email, M.ADMIN_UNAUTHENTICATED_SUBJECT, text, s.mail_from),
        )
    if cert is None or not s.admin_email:
        return
    if outcome == rules.UNKNOWN_CA:
        path = certfiles.quarantine(s.cert_quarantine_dir, cert)
        text = M.ADMIN_BODY.format(
            sender=letter.sender,
            serial=cert.serial_hex,
            cn=cert.cn or "-",
            issuer=str(cert.issuer),
            not_before=rules.moscow_time(cert.not_before),
            not_after=rules.moscow_time(cert.not_after),
            path=path,
        )
        _send(
            ctx,
            letter,
            letters.build_notice(
                letter.key, s.admin_email, M.ADMIN_SUBJECT, text, s.mail_from, (f"{cert.serial_hex}.cer", cert.der)
            ),
        )
    elif outcome == rules.CRL_UNAVAILABLE:
        text = M.ADMIN_CRL_BODY.format(sender=letter.sender, serial=cert.serial_hex, issuer=str(cert.issuer))
        _send(ctx, letter, letters.build_notice(letter.key, s.admin_email, M.ADMIN_CRL_SUBJECT, text, s.mail_from))


def tell_owner(ctx: Context, letter: letters.Letter, cert: Certificate, addresses: Iterable[str | None]) -> None:
    """A separate letter to the addresses of record: a certificate was registered, and how to report a mistake."""
    s = ctx.settings
    contact = M.OWNER_CONTACT.format(admin=s.admin_email) if s.admin_email else M.OWNER_CONTACT_NO_ADDRESS
    text = M.OWNER_BODY.format(
        sender=letter.sender,
        cn=cert.cn or str(cert.subject),
        serial=cert.serial_hex,
        issuer=str(cert.issuer),
        not_before=rules.moscow_time(cert.not_before),
        not_after=rules.moscow_time(cert.not_after),
        contact=contact,
    )
    to = ", ".join(sorted({a.lower() for a in addresses if a}))
    _send(ctx, letter, letters.build_notice(letter.key, to, M.OWNER_SUBJECT, text, s.mail_from, kind="added"))


def send_quarantine_results(ctx: Context) -> int:
    """The result letters of quarantined certificates an administrator decided on (journal.mail_quarantine_due):
    the manual's text for the outcome to the sender; an installed certificate also goes into the store. -> sent."""
    s, sent = ctx.settings, 0
    for due in ctx.journal.mail_quarantine_due(20):
        cert = load_certificate(base64.b64decode(due["cert_b64"]))
        if due["outcome"] == "installed":
            certfiles.install(s.cert_store_dir, cert)
        text = result_text(due["outcome"], cert, due.get("reason"))
        if due.get("sender"):
            subject = M.REPLY_SUBJECT.format(subject=due.get("subject") or M.ADD_CERT)
            ctx.mailer.send(
                letters.build_notice(due["letter_key"], due["sender"], subject, text, s.mail_from, kind="result")
            )
        ctx.journal.mail_quarantine_replied(due["id"])
        sent += 1
    return sent


def result_text(outcome: str, cert: Certificate, reason: str | None) -> str:
    if outcome == "installed":
        return M.SUCCESS.format(
            cn=cert.cn or str(cert.subject),
            not_before=rules.moscow_time(cert.not_before),
            not_after=rules.moscow_time(cert.not_after),
        )
    if outcome == "snils_mismatch":
        return M.SNILS_MISMATCH
    if outcome == "invalid":
        return M.CERT_INVALID.format(serial=cert.serial_hex)
    return M.QUARANTINE_REFUSED.format(serial=cert.serial_hex, reason=reason or M.QUARANTINE_REASON)
