"""ДУЛ series and number rules built from the F011 masks (shared/dictionaries/f011.py).

Each rule returns (normalized, None) or (value as given, message). Obvious forms are normalised:
`4612`/`46-12` -> `46 12`, `iv-мю` -> `IV-МЮ`, Latin look-alikes in Russian-letter masks -> Cyrillic.
"""

import re
from collections.abc import Callable

from services.flk import messages as M
from shared.dictionaries.f011 import F011, FREE_NUMBER

_LATIN_TO_CYRILLIC = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")
# Roman numerals typed with Cyrillic look-alikes (and digit 1 for I), as MIS programs accept them.
_ROMAN_LOOKALIKES = str.maketrans({"1": "I", "І": "I", "У": "V", "Х": "X", "Л": "L", "С": "C"})
_ROMAN = re.compile(r"(?=[IVXLC])C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_TWO_RU = re.compile(r"[А-ЯЁ]{2}")
_TWO_DIGITS = re.compile(r"[0-9]{2}")
_PASSPORT_SERIES = re.compile(r"([0-9]{2})[\s-]*([0-9]{2})")
_FREE_SERIES = re.compile(r"[0-9A-ZА-ЯЁ -]{1,10}")
_FREE_NUMBER = re.compile(r"[0-9A-ZА-ЯЁ -]{1,20}")
_SPACES = re.compile(r"\s+")
Checked = tuple[str, str | None]  # (normalised value, None) or (the value as given, the format message)
Rule = Callable[[str], Checked]


def _series_passport(value: str) -> Checked:
    m = _PASSPORT_SERIES.fullmatch(value)
    if m:
        return f"{m.group(1)} {m.group(2)}", None
    return value, M.DUL_SERIES_FORMATS["99 99"]


def _series_two_digits(value: str) -> Checked:
    compact = value.replace(" ", "")
    if _TWO_DIGITS.fullmatch(compact):
        return compact, None
    return value, M.DUL_SERIES_FORMATS["99"]


def _series_two_letters(value: str) -> Checked:
    letters = value.replace(" ", "").upper().translate(_LATIN_TO_CYRILLIC)
    if _TWO_RU.fullmatch(letters):
        return letters, None
    return value, M.DUL_SERIES_FORMATS["ББ"]


def _series_roman_letters(value: str) -> Checked:
    """R-ББ: Roman numeral, hyphen, two Russian letters; separator may be a hyphen, spaces or nothing."""
    upper = value.upper()
    letters = upper[-2:].translate(_LATIN_TO_CYRILLIC)
    roman = upper[:-2].rstrip(" -").translate(_ROMAN_LOOKALIKES)
    if _TWO_RU.fullmatch(letters) and _ROMAN.fullmatch(roman):
        return f"{roman}-{letters}", None
    return value, M.DUL_SERIES_FORMATS["R-ББ"]


def _series_free(value: str) -> Checked:
    text = _SPACES.sub(" ", value.upper())
    if _FREE_SERIES.fullmatch(text):
        return text, None
    return value, M.DUL_SERIES_FORMATS["S"]


_SERIES = {
    "99 99": _series_passport,
    "99": _series_two_digits,
    "ББ": _series_two_letters,
    "R-ББ": _series_roman_letters,
    "S": _series_free,
    "S1": _series_free,
}


def _number_rule(mask: str) -> Rule:
    """Digit masks: `9` required digit, `0` optional digit -> between count('9') and len(mask) digits."""
    if mask == FREE_NUMBER:

        def free(value: str) -> Checked:
            text = _SPACES.sub(" ", value.upper())
            return (text, None) if _FREE_NUMBER.fullmatch(text) else (value, M.DUL_NUMBER_FREE_FORMAT)

        return free
    low, high = mask.count("9"), len(mask)
    pattern, message = re.compile(f"[0-9]{{{low},{high}}}"), M.fmt(M.digits(low, high))

    def digits(value: str) -> Checked:
        compact = value.replace(" ", "")
        return (compact, None) if pattern.fullmatch(compact) else (value, message)

    return digits


# code (as text) -> (series required, series rule, number rule). Free-text series (S, S1) are optional.
DUL_RULES = {
    str(code): (series not in ("S", "S1"), _SERIES[series], _number_rule(number))
    for code, (_name, series, number) in F011.items()
}
_CODE = re.compile(r"0*([0-9]{1,3})")


def dul_code(value: str) -> str:
    """'14', '014' -> '14'; anything else unchanged."""
    if value in DUL_RULES:
        return value
    m = _CODE.fullmatch(value)
    return m.group(1) if m else value
