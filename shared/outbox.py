"""Outgoing mail: through the configured SMTP relay, or, when none is set (the `make run` default), as .eml files
in a local folder that the administrator's page lists."""

import email
import email.policy
import hashlib
import os
import re
import smtplib
import tempfile
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from shared.config import Settings


class PermanentFailure(Exception):
    """The relay refused the letter with a 5xx code: sending it again will not help."""

    def __init__(self, code: int) -> None:
        super().__init__(f"refused with {code}")
        self.code = code


NAME = re.compile(r"^[0-9]{8}-[0-9]{12}-[0-9a-f]{16}\.eml$")


def _parse_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


class Mailer:
    def __init__(
        self, relay: str = "", outbox_dir: str | Path = Settings.mail_outbox_dir, timeout: float = 30.0
    ) -> None:
        self.relay = relay.strip()
        self.outbox_dir = Path(outbox_dir)
        self.timeout = timeout

    def send(self, msg: EmailMessage) -> Path | None:
        """Send one EmailMessage; PermanentFailure on a 5xx refusal, other errors are temporary."""
        if self.relay:
            host, port = _parse_address(self.relay)
            try:
                with smtplib.SMTP(host, port, timeout=self.timeout) as smtp:
                    smtp.send_message(msg)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                if codes and all(500 <= code < 600 for code in codes):
                    raise PermanentFailure(codes[0]) from None
                raise
            except smtplib.SMTPResponseException as exc:
                if 500 <= exc.smtp_code < 600:
                    raise PermanentFailure(exc.smtp_code) from None
                raise
            return None
        return write_outbox(self.outbox_dir, msg)


def write_outbox(folder: str | Path, msg: EmailMessage) -> Path:
    """Write msg as <date>-<time>-<hash of Message-ID>.eml; the same Message-ID is written once."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha256(str(msg["Message-ID"] or msg.as_bytes()).encode()).hexdigest()[:16]
    existing = list(folder.glob(f"*-{tag}.eml"))
    if existing:
        return existing[0]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S%f")
    path = folder / f"{stamp}-{tag}.eml"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(msg.as_bytes(policy=email.policy.SMTP))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def _summary(path: Path, with_text: bool = False) -> dict[str, Any]:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    item: dict[str, Any] = {
        "name": path.name,
        "date": str(msg["Date"] or ""),
        "from": str(msg["From"] or ""),
        "to": str(msg["To"] or ""),
        "subject": str(msg["Subject"] or ""),
        "size": path.stat().st_size,
        "attachments": [part.get_filename() or "" for part in msg.iter_attachments()],
    }
    body = msg.get_body(("plain",))
    text = body.get_content().strip() if body is not None else ""
    item["text"] = text if with_text else text[:300]
    return item


def list_outbox(folder: str | Path, limit: int = 50) -> list[dict[str, Any]]:
    """The newest letters first: name, date, from, to, subject, size, attachments, text (first 300 chars)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if NAME.match(p.name)), reverse=True)
    return [_summary(folder / name) for name in names[: max(0, int(limit))]]


def read_outbox(folder: str | Path, name: object) -> dict[str, Any] | None:
    """One letter with its whole text; None for a name that is not an outbox letter."""
    if not isinstance(name, str) or not NAME.match(name):
        return None
    path = Path(folder) / name
    if not path.is_file():
        return None
    item = _summary(path, with_text=True)
    item["raw"] = path.read_bytes().decode("utf-8", "replace")
    return item
