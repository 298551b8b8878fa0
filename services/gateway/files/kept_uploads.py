"""A group file kept on the server between two tries of the upload form (manual §5.1): a wrong CAPTCHA or a
missing request name must not make the clerk choose the file again.

The file waits in a folder of the gateway's host (KEPT_DIR, by default under the system's temporary folder) under
a random token bound to the user, at most KEPT_TTL seconds; the form carries only the token. Several gateways
behind one address need that folder shared (or sticky sessions): another gateway answers «Выберите файл»."""

import io
import json
import os
import re
import secrets
import tempfile
import time

from werkzeug import Request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict

KEPT_DIR = os.environ.get("KEPT_UPLOADS_DIR") or os.path.join(tempfile.gettempdir(), "ozsp-kept-uploads")
KEPT_TTL = 30 * 60
FIELD = "kept_upload"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _paths(user_id: int, token: str) -> tuple[str, str]:
    base = os.path.join(KEPT_DIR, f"{int(user_id)}-{token}")
    return base + ".bin", base + ".json"


def _sweep(now: float) -> None:
    """Files older than KEPT_TTL go (each store and load sweeps: no timer needed; group files hold personal data)."""
    try:
        names = os.listdir(KEPT_DIR)
    except OSError:
        return
    for name in names:
        path = os.path.join(KEPT_DIR, name)
        try:
            if now - os.path.getmtime(path) > KEPT_TTL:
                os.remove(path)
        except OSError:
            pass


def store(user_id: int, filename: str, content: bytes) -> dict:
    """Keep the file for the user's next try: -> {token, filename}."""
    os.makedirs(KEPT_DIR, mode=0o700, exist_ok=True)
    _sweep(time.time())
    token = secrets.token_urlsafe(24)
    data, meta = _paths(user_id, token)
    with open(data, "wb") as f:
        f.write(content)
    with open(meta, "w", encoding="utf-8") as f:
        json.dump({"filename": filename}, f, ensure_ascii=False)
    return {"token": token, "filename": filename}


def load(user_id: int, token: str | None) -> tuple[dict, bytes] | None:
    """({token, filename}, content) of the user's kept file, or None (unknown, another user's, expired)."""
    if not token or not _TOKEN.match(token):
        return None
    _sweep(time.time())
    data, meta = _paths(user_id, token)
    try:
        if time.time() - os.path.getmtime(data) > KEPT_TTL:
            return None
        with open(meta, encoding="utf-8") as f:
            filename = str(json.load(f)["filename"])
        with open(data, "rb") as f:
            content = f.read()
    except (OSError, ValueError, KeyError):
        return None
    return {"token": token, "filename": filename}, content


def discard(user_id: int, token: str | None) -> None:
    if not token or not _TOKEN.match(token):
        return
    for path in _paths(user_id, token):
        try:
            os.remove(path)
        except OSError:
            pass


def use_as_upload(request: Request, filename: str, content: bytes) -> FileStorage:
    """Put the kept file where the form's file would be (request.files["file"]), for the usual upload path."""
    upload = FileStorage(stream=io.BytesIO(content), filename=filename, name="file")
    request.files = ImmutableMultiDict([("file", upload)])
    return upload
