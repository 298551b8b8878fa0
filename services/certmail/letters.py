"""Parsing incoming letters (MIME) and building replies. Plain functions; hostile input never raises."""

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message, MIMEPart
from email.utils import formatdate, getaddresses

from shared.config import Settings

MAX_DEPTH = 10  # MIME nesting deeper than this is treated as an inadmissible attachment
_SPACES = re.compile(r"\s+")


@dataclass
class Attachment:
    filename: str  # "" when the part has no name
    content: bytes | None  # None when over the size limit
    size: int


@dataclass
class Letter:
    key: str  # idempotency key: hash of Message-ID, or of the raw letter when it has none
    message_id: str | None
    sender: str | None  # the single address of From:, lower case; None when absent or ambiguous
    subject: str
    attachments: list = field(default_factory=list)
    malformed: bool = False  # the body could not be parsed: treated as inadmissible attachments
    auto_submitted: bool = False  # RFC 3834: written by a robot (auto-reply, bounce): never answered


def letter_key(message_id: str | None, raw: bytes) -> str:
    if message_id:
        return "m-" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()
    return "r-" + hashlib.sha256(raw).hexdigest()


def one_line(value: object, limit: int = 500) -> str:
    return _SPACES.sub(" ", str(value or "")).strip()[:limit]


def _header(msg: Message, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:  # an undecodable header reads as absent
        return None
    return one_line(value) if value is not None else None


def _sender(msg: Message) -> str | None:
    value = _header(msg, "From")
    if not value:
        return None
    try:
        addresses = [addr for _, addr in getaddresses([value]) if addr]
    except Exception:
        return None
    if len(addresses) != 1 or "@" not in addresses[0]:
        return None
    return addresses[0].strip().lower()


def parse(raw: bytes, max_attachment: int = Settings.mail_max_attachment_bytes) -> Letter:
    """A Letter from the raw bytes of an e-mail."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:
        msg = email.message_from_bytes(b"", policy=email.policy.default)
    message_id = _header(msg, "Message-ID") or None
    auto = (_header(msg, "Auto-Submitted") or "no").lower()
    letter = Letter(
        key=letter_key(message_id, raw),
        message_id=message_id,
        sender=_sender(msg),
        subject=_header(msg, "Subject") or "",
        auto_submitted=not auto.startswith("no"),
    )
    try:
        _collect(msg, letter.attachments, max_attachment, 0)
    except Exception:  # RecursionError, broken encodings, defects the parser let through
        letter.malformed = True
    return letter


def _collect(part: MIMEPart, out: list[Attachment], max_attachment: int, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError("MIME nesting too deep")
    content_type = part.get_content_type()
    if content_type.startswith("message/"):  # a forwarded letter is one attachment; never look inside
        payload = part.as_bytes()
        out.append(
            Attachment(
                filename=one_line(part.get_filename() or ""),
                size=len(payload),
                content=payload if len(payload) <= max_attachment else None,
            )
        )
        return
    if part.is_multipart():
        for sub in part.iter_parts():
            _collect(sub, out, max_attachment, depth + 1)
        return
    filename = part.get_filename()
    disposition = part.get_content_disposition()
    if filename is None and disposition != "attachment" and content_type in ("text/plain", "text/html"):
        return  # the body: «Содержание письма (body) роли не играет»
    data = part.get_payload(decode=True) or b""
    size = len(data)
    out.append(
        Attachment(filename=one_line(filename or ""), content=data if size <= max_attachment else None, size=size)  # type: ignore[arg-type]
    )


# --- replies -----------------------------------------------------------------------------------


def reply_id(key: str, kind: str, mail_from: str) -> str:
    """A Message-ID fixed by the letter, so a repeated reply is recognisably the same letter."""
    domain = mail_from.rsplit("@", 1)[-1] or "ozsp.local"
    return f"<{kind}.{key[:40]}@{domain}>"


def build_reply(
    letter_key_: str, to: str, subject: str, text: str, mail_from: str, in_reply_to: str | None = None
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = to
    msg["Subject"] = one_line(subject, 250)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = reply_id(letter_key_, "reply", mail_from)
    if in_reply_to and "\n" not in in_reply_to and len(in_reply_to) < 500:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots do not answer back
    msg.set_content(text + "\n")
    return msg


def build_notice(
    letter_key_: str,
    to: str,
    subject: str,
    text: str,
    mail_from: str,
    attachment: tuple[str, bytes] | None = None,
    kind: str = "notice",
) -> EmailMessage:
    """An administrative notice; attachment = (filename, bytes)."""
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = reply_id(letter_key_, kind, mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text + "\n")
    if attachment:
        name, content = attachment
        msg.add_attachment(content, maintype="application", subtype="pkix-cert", filename=name)
    return msg
