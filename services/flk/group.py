"""ФЛК of a group file (manual §5.1–5.2): header, every row through the individual rules, limits.

If any row fails, the whole file is refused and no rows are returned. Errors are (line, column name as
in the header, message); line numbers are those of the file, the header being line 1. File-level
errors carry line None; row-level ones (field count, quoting) carry field None.
"""

from datetime import date
from operator import itemgetter
from typing import Any

from services.flk import messages as M
from services.flk.csvread import BLANK_CHARS, EXPECTED_FIELDS, UNCLOSED, FileRefused, decode, split_line, split_lines
from services.flk.rules import FIELDS, IDENTITY_FIELDS, RowChecker
from shared.params import COLUMNS

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_ERRORS = 1000
MAX_WARNINGS = 1000

COLUMN_OF = dict(zip(FIELDS, COLUMNS))
_HEADER_PUNCT = str.maketrans({"[": " ", "]": " ", ".": " ", "…": " ", "ё": "е"})


def _header_key(text: str) -> str:
    """Case, spaces, brackets and dots do not matter: «Дата [по состоянию на...]» = «дата по состоянию на»."""
    return " ".join(text.lower().translate(_HEADER_PUNCT).split())


_HEADER_KEYS = tuple(_header_key(c) for c in COLUMNS)
_identity = itemgetter(*IDENTITY_FIELDS)


def check_group(content: bytes, filename: str | None = None, today: date | None = None) -> dict[str, Any]:
    """-> {"ok", "rows", "errors", "warnings", "encoding", "total"}; never raises on any bytes.

    filename is accepted for the journal but not checked: the manual lets the user name the file freely.
    """
    result: dict[str, Any] = {"ok": False, "rows": [], "errors": [], "warnings": [], "encoding": None, "total": 0}
    if not isinstance(content, (bytes, bytearray, memoryview)):
        raise TypeError("content must be bytes")
    content = bytes(content)
    if len(content) > MAX_BYTES:
        return _refused(result, M.FILE_TOO_BIG)
    try:
        text, result["encoding"] = decode(content)
    except FileRefused as refused:
        return _refused(result, str(refused))
    lines = split_lines(text)
    if not lines:
        return _refused(result, M.FILE_EMPTY)
    total = result["total"] = sum(1 for line in lines[1:] if line.strip(BLANK_CHARS))
    if total > MAX_ROWS:
        return _refused(result, M.too_many_rows(total, MAX_ROWS))
    delimiter, header_errors = _check_header(lines[0])
    if header_errors:
        result["errors"] = header_errors
        return result
    if not total:
        return _refused(result, M.HEADER_ONLY)
    _check_rows(lines, delimiter, RowChecker(today), result)
    return result


def _refused(result: dict[str, Any], message: str) -> dict[str, Any]:
    result["errors"] = [{"line": None, "field": None, "message": message}]
    return result


def _check_header(line: str) -> tuple[str, list[dict[str, Any]]]:
    """-> (the header's delimiter, errors)."""
    parts, delimiter, _problem = split_line(line.lstrip("\ufeff"), ";")
    if parts is None or len(parts) != EXPECTED_FIELDS:
        count = 0 if parts is None else len(parts)
        return delimiter, [{"line": 1, "field": None, "message": M.header_count(count, COLUMNS)}]
    return delimiter, [
        {"line": 1, "field": COLUMNS[i], "message": M.header_name(i + 1, COLUMNS[i])}
        for i, part in enumerate(parts)
        if _header_key(part) != _HEADER_KEYS[i]
    ]


def _check_rows(lines: list[str], delimiter: str, checker: RowChecker, result: dict[str, Any]) -> None:
    """Every data line through RowChecker; fills result in place (rows only if no row fails)."""
    check, column_of = checker.check, COLUMN_OF
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    n_errors = n_warnings = 0
    for number in range(2, len(lines) + 1):
        line = lines[number - 1]
        if not line.strip(BLANK_CHARS):
            n_warnings += 1
            if n_warnings <= MAX_WARNINGS:
                warnings.append({"line": number, "message": M.BLANK_LINE})
            continue
        parts, _used, problem = split_line(line, delimiter)
        if parts is None or len(parts) != EXPECTED_FIELDS:
            n_errors += 1
            if n_errors <= MAX_ERRORS:
                message = (
                    M.field_count(len(parts))
                    if parts is not None
                    else (M.QUOTE_UNCLOSED if problem == UNCLOSED else M.QUOTE_TRAILING)
                )
                errors.append({"line": number, "field": None, "message": message})
            continue
        normalized, row_errors = check([part.strip() for part in parts])
        if row_errors:
            for field, message in row_errors:
                n_errors += 1
                if n_errors <= MAX_ERRORS:
                    errors.append({"line": number, "field": column_of[field], "message": message})
            continue
        first = seen.setdefault(_identity(normalized), number)
        if first != number:
            n_warnings += 1
            if n_warnings <= MAX_WARNINGS:
                warnings.append({"line": number, "message": M.duplicate(first)})
        if not n_errors:
            normalized["line"] = number
            rows.append(normalized)
    if n_errors > MAX_ERRORS:
        errors.append({"line": None, "field": None, "message": M.more_errors(MAX_ERRORS, n_errors)})
    if n_warnings > MAX_WARNINGS:
        warnings.append({"line": None, "message": M.more_warnings(MAX_WARNINGS, n_warnings)})
    result.update(ok=not n_errors, rows=rows if not n_errors else [], errors=errors, warnings=warnings)
