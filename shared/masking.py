"""Masking of personal data in log lines: identifier-like digit runs and Cyrillic words are hidden; addresses that
must stay comparable (client IPs, e-mail senders) are logged as keyed hashes (keyed_hash, address_tag)."""

import hashlib
import hmac
import logging
import os
import re

# ЕНП, ОИП, СНИЛС, document and policy numbers: six or more digits in a row, or a formatted СНИЛС.
# Not after '.', so durations like 0.003456 stay; not after '#', so ids written as #1234567 stay.
_IDENTIFIER = re.compile(r"(?<![\d.#])(?:\d{3}-\d{3}-\d{3}[ -]?\d{2}|\d{6,})(?!\d)")
_CYRILLIC_WORD = re.compile(r"[А-ЯЁа-яё][А-ЯЁа-яё\-']+")
_PERCENT_ENCODED = re.compile(r"(?:%[0-9A-Fa-f]{2}){2,}")  # Cyrillic in URLs of access logs


def mask(text: str) -> str:
    """Keep the first two characters of an identifier and the first letter of a Cyrillic word."""
    text = _PERCENT_ENCODED.sub("%***", text)
    text = _IDENTIFIER.sub(lambda m: m.group(0)[:2] + "***", text)
    return _CYRILLIC_WORD.sub(lambda m: m.group(0)[0] + "***", text)


def keyed_hash(secret: str, value: str) -> str:
    """HMAC-SHA256 of value under secret (hex): a log-safe stand-in for an address that, unlike a plain hash,
    cannot be confirmed by hashing guessed addresses without the secret."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def address_tag(value: object, secret: str | None = None) -> str:
    """ "h:" + 12 hex of keyed_hash: how an address appears in logs and the audit (certmail's sender tags look the
    same). secret: SECRET_KEY of the environment unless given."""
    secret = secret if secret is not None else (os.environ.get("SECRET_KEY") or _dev_secret())
    return "h:" + keyed_hash(secret, str(value).encode("utf-8", "surrogatepass").decode("utf-8", "replace"))[:12]


def _dev_secret() -> str:
    from shared import config

    return config.Settings.secret_key


class MaskingFilter(logging.Filter):
    """Applied to every handler: formats the record, then masks the result."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return True
