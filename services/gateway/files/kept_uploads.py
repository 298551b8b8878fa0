"""A group file kept between two tries of the upload form (manual §5.1): a wrong CAPTCHA or a missing request name
must not make the clerk choose the file again.

The file waits in the journal's database (journal.keep_upload, services/journal/gateway_state.py) under a random
token bound to the user, at most 30 minutes; the form carries only the token. Any gateway process finds it."""

import base64
import io
from typing import Any

from werkzeug import Request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict

FIELD = "kept_upload"


def store(journal: Any, user_id: int, filename: str, content: bytes) -> dict[str, str] | None:
    """Keep the file for the user's next try: -> {token, filename}, or None when the journal would not keep it."""
    token = journal.keep_upload(user_id, filename, base64.b64encode(content).decode("ascii"))
    return {"token": token, "filename": filename} if token else None


def load(journal: Any, user_id: int, token: str | None) -> tuple[dict[str, str], bytes] | None:
    """({token, filename}, content) of the user's kept file, or None (unknown, another user's, expired)."""
    if not token:
        return None
    found = journal.kept_upload(user_id, token)
    if not found:
        return None
    return {"token": token, "filename": found["filename"]}, base64.b64decode(found["content_b64"])


def discard(journal: Any, user_id: int, token: str | None) -> None:
    if token:
        journal.discard_kept_upload(user_id, token)


def use_as_upload(request: Request, filename: str, content: bytes) -> FileStorage:
    """Put the kept file where the form's file would be (request.files["file"]), for the usual upload path."""
    upload = FileStorage(stream=io.BytesIO(content), filename=filename, name="file")
    request.files = ImmutableMultiDict([("file", upload)])
    return upload
