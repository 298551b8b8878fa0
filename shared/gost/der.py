"""Input decoding (DER, PEM, bare base64) and the parse guard."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import GostError, Malformed

MAX_INPUT = 32 * 1024 * 1024  # refuse absurd inputs early
_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----(.*?)-----END \1-----", re.S)
_WS = re.compile(rb"\s+")


def to_der(data: object, labels: tuple[str, ...] = ()) -> bytes:
    """DER bytes from DER, PEM (one of labels, any if empty) or bare base64."""
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise Malformed("input is not bytes")
    data = bytes(data)
    if len(data) > MAX_INPUT:
        raise Malformed("input too large")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data[:1] == b"\x30":
        return data
    if b"-----BEGIN" in data:
        m = _PEM.search(data)
        if m is None:
            raise Malformed("broken PEM armour")
        label = m.group(1).decode("ascii")
        if labels and label not in labels:
            raise Malformed("unexpected PEM type")
        body = m.group(2)
        # drop RFC 1421 header lines ("Proc-Type: ..."); base64 has no ':'
        body = b"\n".join(ln for ln in body.splitlines() if b":" not in ln)
        return _b64(body)
    return _b64(data)


def _b64(text: bytes) -> bytes:
    text = _WS.sub(b"", text)
    if not text:
        raise Malformed("empty input")
    try:
        der = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed("not DER, PEM or base64") from None
    if der[:1] != b"\x30":
        raise Malformed("decoded data is not DER")
    return der


@contextmanager
def parsing(what: str) -> Iterator[None]:
    """Turn any parser failure into Malformed (GostError passes through)."""
    try:
        yield
    except GostError:
        raise
    except Exception:  # asn1crypto raises many kinds on junk
        raise Malformed(f"cannot parse {what}") from None


def to_pem(der: bytes, label: str) -> str:
    b64 = base64.b64encode(der).decode("ascii")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"
