"""Reading a group file: encoding detection, lines, and per-line choice of the delimiter.

Encoding (strict order, no guessing library):
1. UTF-8 BOM -> UTF-8 (bytes after it must be valid UTF-8); a UTF-16 BOM or NUL bytes -> refused.
2. Strict UTF-8 decode succeeds -> UTF-8.
3. Otherwise Windows-1251 («ANSI»); bytes undefined in it (0x98) -> refused.
Why this is reliable here: in Windows-1251 every Russian letter is a byte 0xC0–0xFF, and in UTF-8 such
a byte must be followed by continuation bytes 0x80–0xBF, which are never letters in Windows-1251. Two
Russian letters in a row are therefore invalid UTF-8, and the mandatory header («Имя запроса, ОИП, …»)
has many, so a Windows-1251 file with the header never decodes as UTF-8; a UTF-8 file always does. The
header check after decoding catches any file this order still gets wrong.

Records are physical lines (CR LF, LF or a bare CR); a quoted value cannot span lines (no field may contain a
line break). Quoting follows RFC 4180: a field that starts with `"` ends at the next lone `"`, `""`
inside stands for `"`; spaces around a quoted field are tolerated.
"""

import codecs
import re

from services.flk import messages as M

DELIMITERS = (";", ",")
EXPECTED_FIELDS = 16
BLANK_CHARS = ' \t\r;,"\ufeff'  # a line made only of these carries no data


class FileRefused(Exception):
    """The file as a whole cannot be read; the message is for the user."""


def decode(content: bytes) -> tuple:
    """-> (text, encoding name: 'utf-8-sig' | 'utf-8' | 'cp1251'); raises FileRefused."""
    if content.startswith(codecs.BOM_UTF8):
        try:
            return content[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise FileRefused(M.ENCODING_BAD_BOM) from None
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in content:
        raise FileRefused(M.ENCODING_UTF16)
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1251"), "cp1251"
    except UnicodeDecodeError:
        raise FileRefused(M.ENCODING_UNKNOWN) from None


def split_lines(text: str) -> list:
    """Lines without their ends (CR LF as the manual asks; LF and a bare CR accepted); trailing blank lines dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip(BLANK_CHARS):
        lines.pop()
    return lines


_QUOTED = {d: re.compile(r'[ \t]*"([^"]*+(?:""[^"]*+)*+)"[ \t]*') for d in DELIMITERS}  # possessive: no backtracking
_OPENS_QUOTE = re.compile(r'[ \t]*"')

UNCLOSED, TRAILING = "unclosed", "trailing"  # quoting problems


def parse_quoted(line: str, delimiter: str) -> tuple[list[str] | None, str | None]:
    """RFC 4180 split of one line -> (fields, None) or (None, UNCLOSED | TRAILING)."""
    quoted = _QUOTED[delimiter]
    fields, pos, end = [], 0, len(line)
    while True:
        m = quoted.match(line, pos)
        if m:
            fields.append(m.group(1).replace('""', '"'))
            pos = m.end()
            if pos == end:
                return fields, None
            if line[pos] != delimiter:
                return None, TRAILING
            pos += 1
            continue
        if _OPENS_QUOTE.match(line, pos):
            return None, UNCLOSED
        nxt = line.find(delimiter, pos)
        if nxt < 0:
            fields.append(line[pos:])
            return fields, None
        fields.append(line[pos:nxt])
        pos = nxt + 1


def split_line(line: str, preferred: str) -> tuple[list[str] | None, str, str | None]:
    """Fields of one line with the delimiter that fits it -> (fields, delimiter, quoting problem or None).

    The line is split with `;` and with `,`; the one giving 16 fields wins (with both, `preferred`,
    the header's delimiter). Otherwise the one giving more fields is returned, for the field-count message.
    Without quotes this is plain counting: a line with 15 `;` is `;`-delimited, whatever commas it holds.
    """
    other = "," if preferred == ";" else ";"
    if '"' not in line:
        n_pref, n_other = line.count(preferred), line.count(other)
        if n_pref == EXPECTED_FIELDS - 1:
            use = preferred
        elif n_other == EXPECTED_FIELDS - 1 or n_other > n_pref:
            use = other
        else:
            use = preferred
        return line.split(use), use, None
    first, problem = parse_quoted(line, preferred)
    if first is not None and len(first) == EXPECTED_FIELDS:
        return first, preferred, None
    second, _problem = parse_quoted(line, other)
    if second is not None and len(second) == EXPECTED_FIELDS:
        return second, other, None
    if first is None and second is None:
        return None, preferred, problem
    if first is None or (second is not None and len(second) > len(first)):
        return second, other, None
    return first, preferred, None
