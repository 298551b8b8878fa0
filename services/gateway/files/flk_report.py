"""The ФЛК report of a refused group file (Рисунок 14) as a CSV the user can download.

Nothing is stored: the page carries the report in a hidden field, compressed and signed (HMAC with
SECRET_KEY, bound to the user), and posts it back; only a report this service issued is accepted.
"""

import base64
import binascii
import hashlib
import hmac
import json
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from shared.export import csv_text, safe_cell

HEADER = ("Строка", "Колонка", "Ошибка")
MAX_JSON = 2 * 1024 * 1024  # inflated size refused beyond this (1001 errors need ~200 KB)
NAME = "Ошибки ФЛК"  # of the downloaded file, before .csv


def _mac(secret: str, user_id: int, payload: bytes) -> str:
    return hmac.new(secret.encode(), b"flk-report|%d|" % int(user_id) + payload, hashlib.sha256).hexdigest()


def issue(secret: str, user_id: int, errors: Iterable[Mapping[str, Any]]) -> str:
    """errors [{line, field, message}] -> an opaque token for the page's hidden field."""
    slim = [[e.get("line"), e.get("field"), e.get("message")] for e in errors]
    payload = base64.urlsafe_b64encode(zlib.compress(json.dumps(slim, ensure_ascii=False).encode(), 6))
    return payload.decode() + "." + _mac(secret, user_id, payload)


def read(secret: str, user_id: int, token: str | None) -> list[dict[str, Any]] | None:
    """The errors of a token this service issued for this user, or None."""
    payload, _, mac = (token or "").rpartition(".")
    if not payload or not hmac.compare_digest(mac.encode(), _mac(secret, user_id, payload.encode()).encode()):
        return None
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.urlsafe_b64decode(payload), MAX_JSON)
        if inflater.unconsumed_tail:
            return None
        slim = json.loads(raw)
    except (binascii.Error, zlib.error, ValueError):
        return None
    return [{"line": line, "field": field, "message": message} for line, field, message in slim]


def csv_bytes(errors: Iterable[Mapping[str, Any]]) -> bytes:
    """UTF-8 with BOM, ';', CR LF (as the group export); cells safe from spreadsheet formulas."""
    rows = [[safe_cell(e["line"]), safe_cell(e["field"]), safe_cell(e["message"])] for e in errors]
    return ("\ufeff" + csv_text([list(HEADER)]) + csv_text(rows)).encode("utf-8")
