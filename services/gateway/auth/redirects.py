"""Where the browser goes after login (`next`): only a path on this site, read as a browser reads a URL.

Browsers drop tabs and line breaks anywhere in a URL, strip leading and trailing control characters and spaces,
and treat a backslash as a slash: `/\t/evil.example`, `/\\evil.example` and ` //evil.example` all lead to
evil.example. The value is normalised the same way first, then it must be a path without a host."""

import re
from urllib.parse import urlsplit

_EDGES = "".join(chr(c) for c in range(0x21))  # C0 controls and space (WHATWG URL: stripped at both ends)
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_LENGTH = 2000


def safe_next(value: object, fallback: str = "/") -> str:
    """The local path to go to, as the browser will read it; fallback for anything else."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        return fallback
    url = _TAB_NEWLINE.sub("", value.strip(_EDGES)).replace("\\", "/")
    if not url.startswith("/") or url.startswith("//") or _CONTROL.search(url):
        return fallback
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return fallback
    return url
