"""The certificate store (installed certificates) and the technical folder (certificates of unknown CAs):
one DER .cer per certificate, written atomically; writing the same certificate again changes nothing."""

import os
import tempfile
from pathlib import Path

from shared.gost.certs import Certificate


def _write_once(folder: str | Path, name: str, der: bytes) -> tuple[Path, bool]:
    """(path, created): created is False when the file was already there."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.exists():
        return path, False
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(der)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path, True


def install(store_dir: str | Path, cert: Certificate) -> tuple[Path, bool]:
    return _write_once(store_dir, f"{cert.thumbprint}.cer", cert.der)


def uninstall(path: str | Path) -> None:
    """Undo an install that the directory then refused (only a file this letter created)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def quarantine(folder: str | Path, cert: Certificate) -> Path:
    return _write_once(folder, f"{cert.serial_hex}-{cert.thumbprint[:8]}.cer", cert.der)[0]
