"""Names users give things (request and group names, file names): characters refused in them.

Control characters (NUL, CR/LF, tabs…), Unicode line separators, bidirectional controls (U+202E shows
«gsc.exe» as «exe.csg») and lone surrogates (valid in JSON, not in UTF-8 or PostgreSQL) never belong in a name."""

import re

UNSAFE_CLASS = (
    "\\x00-\\x1f\\x7f-\\x9f"  # C0 and C1 controls
    "\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069"  # bidirectional controls
    "\\u2028\\u2029\\ufeff\\ud800-\\udfff"
)  # separators, BOM, surrogates
_UNSAFE = re.compile(f"[{UNSAFE_CLASS}]")


def is_clean(value: str | None) -> bool:
    return not _UNSAFE.search(value or "")


def cleaned(value: str | None) -> str:
    """value without the refused characters (for a file name shown or sent back; names themselves are refused)."""
    return _UNSAFE.sub("", value or "")
