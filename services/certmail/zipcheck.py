"""Safe inspection of the ZIP attached to an ADD_CERT letter: exactly one .cer, named like the archive.

Nothing is written to disk; sizes are checked on the declared values and again while reading, so a ZIP bomb
never inflates beyond the limit. Every refusal names a reason; `NO_CER` maps to the manual's
«отсутствует файл *.cer» reply, every other reason to «приложены недопустимые файлы».
"""

import io
import zipfile
from dataclasses import dataclass

from shared.config import Settings

NO_CER = "no_cer"
NOT_ZIP = "not_zip"
ENCRYPTED = "encrypted"
TOO_MANY = "too_many_entries"
BAD_NAME = "bad_name"
NESTED = "nested_archive"
BOMB = "zip_bomb"
EXTRA = "extra_files"
NAME_MISMATCH = "name_mismatch"

ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".jar", ".cab", ".arj", ".z")
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")


@dataclass(frozen=True)
class Limits:
    max_entries: int = Settings.zip_max_entries
    max_total: int = Settings.zip_max_total_bytes  # uncompressed bytes of all entries together
    max_ratio: int = Settings.zip_max_ratio  # uncompressed / compressed, per entry


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _stem(name: str, suffix: str) -> str | None:
    return name[: -len(suffix)] if name.lower().endswith(suffix) else None


def safe_name(name: str) -> bool:
    """A plain file name: no folders, no drive, no parent references, no control characters."""
    return (
        bool(name)
        and not any(ch in name for ch in "/\\:\x00")
        and name not in (".", "..")
        and all(ord(ch) >= 32 for ch in name)
    )


def extract_certificate(zip_name: str, data: bytes, limits: Limits = Limits()) -> tuple[str, bytes]:
    """(cer name, cer bytes) from the archive `zip_name` with content `data`; raises Refused."""
    try:
        # Names without the UTF-8 flag are in the OEM code page: cp866 for Windows in Russian.
        archive = zipfile.ZipFile(io.BytesIO(data), metadata_encoding="cp866")
        entries = archive.infolist()
    except Exception:  # any damage (bad magic, truncated directory, absurd offsets) is "not a ZIP"
        raise Refused(NOT_ZIP) from None
    if len(entries) > limits.max_entries:
        raise Refused(TOO_MANY)
    total = 0
    for info in entries:
        if info.flag_bits & 0x1:
            raise Refused(ENCRYPTED)
        if not safe_name(info.filename) or info.is_dir():
            raise Refused(BAD_NAME)
        if info.filename.lower().endswith(ARCHIVE_SUFFIXES):
            raise Refused(NESTED)
        total += info.file_size
        if total > limits.max_total or info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise Refused(BOMB)
    certs = [info for info in entries if info.filename.lower().endswith(".cer")]
    if not certs:
        raise Refused(NO_CER)
    if len(entries) > 1:
        raise Refused(EXTRA)
    cert = certs[0]
    if (_stem(zip_name, ".zip") or "").lower() != (_stem(cert.filename, ".cer") or "").lower():
        raise Refused(NAME_MISMATCH)
    content = _read_bounded(archive, cert, limits.max_total)
    if content.startswith(ARCHIVE_MAGIC):
        raise Refused(NESTED)
    return cert.filename, content


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The entry's bytes, never more than limit (declared sizes may lie); CRC errors refuse the archive."""
    try:
        with archive.open(info) as stream:
            content = stream.read(limit + 1)
    except Exception:  # CRC mismatch, bad deflate stream, unsupported method
        raise Refused(NOT_ZIP) from None
    if len(content) > limit:
        raise Refused(BOMB)
    return content
