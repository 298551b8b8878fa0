"""JSON answers of the API and of the sign-in steps."""

import json
from collections.abc import Mapping
from typing import Any

from werkzeug import Response

# API answers carry personal data: never stored by a browser or proxy, never sniffed as another type.
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers={**API_HEADERS, **(headers or {})},
        mimetype="application/json",
    )
