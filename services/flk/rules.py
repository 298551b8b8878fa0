"""ФЛК of one request (manual §4.1–4.2): field rules and check_request().

Every field rule takes a trimmed, non-empty string and returns (normalized, None) or (value, message).
RowChecker.check() applies all of them to the 16 values in FIELDS order; it is the hot path of the
group check too, hence plain locals, precompiled patterns and caches for dates.
"""

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from services.flk import messages as M
from services.flk.dul import DUL_RULES, dul_code
from shared import clock, text
from shared.checksums import luhn_ok, snils_ok
from shared.dictionaries.policy_types import (
    LATIN_TO_CYRILLIC,
    OLD_POLICY_TYPE,
    REQUEST_POLICY_TYPES,
    TEMPORARY_POLICY_TYPES,
)
from shared.params import FIELDS

Checked = tuple[str, str | None]  # (normalized value, None) or (value as given, message)
Add = Callable[[tuple[str, str]], None]  # collects (field, message)

assert len(FIELDS) == 16 and FIELDS[0] == "name" and FIELDS[-1] == "as_of"
IDENTITY_FIELDS = FIELDS[1:11]  # oip .. snils: the fields that identify a person

NAME_MAX = 100
FIO_MAX = 40
EARLIEST = date(1900, 1, 1)

_NAME = re.compile(f"[^{text.UNSAFE_CLASS}]{{1,{NAME_MAX}}}")  # no controls, line breaks, bidi, surrogates
_D9 = re.compile(r"[0-9]{9}")
_D12 = re.compile(r"[0-9]{12}")
_D16 = re.compile(r"[0-9]{16}")
_OLD_NUMBER = re.compile(r"[0-9]{1,20}")
_OLD_SERIES = re.compile(r"[0-9A-ZА-ЯЁ -]{1,10}")
_SNILS = re.compile(r"([0-9]{3})[- ]?([0-9]{3})[- ]?([0-9]{3})[- ]?([0-9]{2})")
_FIO = re.compile(r"[А-ЯЁ]+(?:[-' ][А-ЯЁ]+)*")
_FIO_CHARS = re.compile(r"[А-ЯЁ' -]+")
_LATIN = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"\s+")
_AROUND_MARKS = re.compile(r" ?([-']) ?")
_DMY = re.compile(r"([0-9]{1,2})([.-])([0-9]{1,2})\2([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")

# Accepted spellings of the policy type -> the Cyrillic letter ФЕРЗЛ expects.
_DPFS_TYPES = {form: letter for letter in REQUEST_POLICY_TYPES for form in (letter, letter.lower())}
for _latin, _letter in LATIN_TO_CYRILLIC.items():
    if _letter in REQUEST_POLICY_TYPES:
        _DPFS_TYPES[chr(_latin)] = _DPFS_TYPES[chr(_latin).lower()] = _letter


def _compact(value: str) -> str:
    return value.replace(" ", "") if " " in value else value


def check_oip(value: str) -> Checked:
    digits = _compact(value)
    return (digits, None) if _D12.fullmatch(digits) else (value, M.OIP_FORMAT)


def check_enp(value: str, format_message: str = M.ENP_FORMAT) -> Checked:
    digits = _compact(value)
    if not _D16.fullmatch(digits):
        return value, format_message
    return (digits, None) if luhn_ok(digits) else (value, M.ENP_CHECKSUM)


def check_vs_number(value: str) -> Checked:
    digits = _compact(value)
    return (digits, None) if _D9.fullmatch(digits) else (value, M.VS_FORMAT)


def check_old_number(value: str) -> Checked:
    digits = _compact(value)
    return (digits, None) if _OLD_NUMBER.fullmatch(digits) else (value, M.DPFS_NUMBER_OLD_FORMAT)


def check_old_series(value: str) -> Checked:
    text = _SPACES.sub(" ", value.upper())
    return (text, None) if _OLD_SERIES.fullmatch(text) else (value, M.DPFS_SERIES_FORMAT)


def check_snils(value: str) -> Checked:
    """`112-233-445 95`, `11223344595`, `112 233 445 95` -> 11 digits; checksum; all zeros refused."""
    m = _SNILS.fullmatch(value)
    if not m:
        return value, M.SNILS_FORMAT
    digits = "".join(m.groups())
    if digits == "00000000000":
        return value, M.SNILS_ZEROS
    return (digits, None) if snils_ok(digits) else (value, M.SNILS_CHECKSUM)


def check_fio(value: str) -> Checked:
    """Cyrillic letters, hyphen, apostrophe, space; stored upper-case, inner spaces collapsed."""
    text = value.upper()
    if len(text) <= FIO_MAX and _FIO.fullmatch(text):
        return text, None
    text = _AROUND_MARKS.sub(r"\1", _SPACES.sub(" ", text.replace("’", "'").replace("`", "'")))
    if _FIO.fullmatch(text):
        return (text, None) if len(text) <= FIO_MAX else (value, M.FIO_LENGTH)
    if _LATIN.search(text):
        return value, M.FIO_LATIN
    if not _FIO_CHARS.fullmatch(text):
        return value, M.FIO_CHARS
    return value, M.FIO_SHAPE


def parse_date(value: str) -> tuple[date | None, str | None]:
    """`ДД-ММ-ГГГГ`, `ДД.ММ.ГГГГ` (day and month may have one digit) or ISO `ГГГГ-ММ-ДД` -> (date, None)."""
    m = _DMY.fullmatch(value)
    if m:
        day, month, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
    else:
        m = _YMD.fullmatch(value)
        if not m:
            return None, M.DATE_FORMAT
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return date(year, month, day), None
    except ValueError:
        return None, M.DATE_NOT_IN_CALENDAR


def check_date(value: str, today: date, future_message: str, early_message: str) -> Checked:
    """-> (ISO text, None) or (value, message): a real date between 01-01-1900 and today."""
    parsed, error = parse_date(value)
    if parsed is None:
        return value, error
    if parsed > today:
        return value, future_message
    if parsed < EARLIEST:
        return value, early_message
    return parsed.isoformat(), None


class RowChecker:
    """Checks rows of 16 trimmed strings ('' = absent) against one `today` (default: Moscow today); caches dates."""

    def __init__(self, today: date | None = None) -> None:
        self.today = today or clock.today()
        self.today_iso = self.today.isoformat()
        self._births: dict[str, Checked] = {}
        self._as_ofs: dict[str, Checked] = {}

    def check(self, values: Sequence[str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """-> (normalized dict with the 16 FIELDS, [(field, message), ...])."""
        (
            name,
            oip,
            enp,
            dpfs_type,
            dpfs_series,
            dpfs_number,
            vs_number,
            dul_type,
            dul_series,
            dul_number,
            snils,
            surname,
            first_name,
            patronymic,
            birth_date,
            as_of,
        ) = values
        errors: list[tuple[str, str]] = []
        add = errors.append

        if not name:
            add(("name", M.NAME_REQUIRED))
        elif not _NAME.fullmatch(name):
            add(("name", M.NAME_FORMAT))
        if not (
            oip
            or enp
            or dpfs_type
            or dpfs_series
            or dpfs_number
            or vs_number
            or dul_type
            or dul_series
            or dul_number
            or snils
        ):
            add(("oip", M.IDENTITY_REQUIRED))
        if oip:
            oip, e = check_oip(oip)
            if e:
                add(("oip", e))
        if enp:
            enp, e = check_enp(enp)
            if e:
                add(("enp", e))
        if dpfs_type or dpfs_series or dpfs_number or vs_number:
            dpfs_type, dpfs_series, dpfs_number, vs_number = _check_policy(
                add, dpfs_type, dpfs_series, dpfs_number, vs_number
            )
        if dul_type or dul_series or dul_number:
            dul_type, dul_series, dul_number = _check_dul(add, dul_type, dul_series, dul_number)
        if snils:
            snils, e = check_snils(snils)
            if e:
                add(("snils", e))
        if surname:
            surname, e = check_fio(surname)
            if e:
                add(("surname", e))
        if first_name:
            first_name, e = check_fio(first_name)
            if e:
                add(("first_name", e))
        if patronymic:
            patronymic, e = check_fio(patronymic)
            if e:
                add(("patronymic", e))
        birth_ok = as_of_ok = True
        if birth_date:
            hit = self._births.get(birth_date)
            if hit is None:
                hit = self._births[birth_date] = check_date(birth_date, self.today, M.BIRTH_FUTURE, M.BIRTH_TOO_EARLY)
            birth_date, e = hit
            if e:
                birth_ok = False
                add(("birth_date", e))
        if as_of:
            hit = self._as_ofs.get(as_of)
            if hit is None:
                hit = self._as_ofs[as_of] = check_date(as_of, self.today, M.AS_OF_FUTURE, M.AS_OF_TOO_EARLY)
            as_of, e = hit
            if e:
                as_of_ok = False
                add(("as_of", e))
        else:
            as_of = self.today_iso
        if birth_date and birth_ok and as_of_ok and birth_date > as_of:  # ISO texts order as dates
            add(("birth_date", M.BIRTH_AFTER_AS_OF))

        return {
            "name": name or None,
            "oip": oip or None,
            "enp": enp or None,
            "dpfs_type": dpfs_type or None,
            "dpfs_series": dpfs_series or None,
            "dpfs_number": dpfs_number or None,
            "vs_number": vs_number or None,
            "dul_type": dul_type or None,
            "dul_series": dul_series or None,
            "dul_number": dul_number or None,
            "snils": snils or None,
            "surname": surname or None,
            "first_name": first_name or None,
            "patronymic": patronymic or None,
            "birth_date": birth_date or None,
            "as_of": as_of,
        }, errors


def _check_policy(add: Add, dpfs_type: str, series: str, number: str, vs_number: str) -> tuple[str, str, str, str]:
    """Policy group: the type decides which of series / number / vs_number belong to it."""
    kind = _DPFS_TYPES.get(dpfs_type) if dpfs_type else None
    if kind is None:
        add(("dpfs_type", M.DPFS_TYPE_FORMAT if dpfs_type else M.DPFS_TYPE_REQUIRED))
        if vs_number:  # its format does not depend on the type
            vs_number, e = check_vs_number(vs_number)
            if e:
                add(("vs_number", e))
        return dpfs_type, series, number, vs_number
    if kind == OLD_POLICY_TYPE:
        if series:
            series, e = check_old_series(series)
            if e:
                add(("dpfs_series", e))
        if number:
            number, e = check_old_number(number)
            if e:
                add(("dpfs_number", e))
        else:
            add(("dpfs_number", M.DPFS_NUMBER_REQUIRED))
        if vs_number:
            add(("vs_number", M.VS_ONLY_VS))
    elif kind in TEMPORARY_POLICY_TYPES:
        if series:
            add(("dpfs_series", M.SERIES_ONLY_OLD))
        if number:
            add(("dpfs_number", M.NUMBER_NOT_FOR_VS))
        if vs_number:
            vs_number, e = check_vs_number(vs_number)
            if e:
                add(("vs_number", e))
        else:
            add(("vs_number", M.VS_REQUIRED))
    else:  # UNIFIED_POLICY_TYPES
        if series:
            add(("dpfs_series", M.SERIES_ONLY_OLD))
        if number:
            number, e = check_enp(number, M.DPFS_NUMBER_ENP_FORMAT)
            if e:
                add(("dpfs_number", e))
        else:
            add(("dpfs_number", M.DPFS_NUMBER_ENP_REQUIRED))
        if vs_number:
            add(("vs_number", M.VS_ONLY_VS))
    return kind, series, number, vs_number


def _check_dul(add: Add, dul_type: str, series: str, number: str) -> tuple[str, str, str]:
    """ДУЛ group: type from F011, then series and number by the type's masks."""
    if not dul_type:
        add(("dul_type", M.DUL_TYPE_REQUIRED))
        return dul_type, series, number
    code = dul_code(dul_type)
    rule = DUL_RULES.get(code)
    if rule is None:
        add(("dul_type", M.DUL_TYPE_FORMAT))
        return dul_type, series, number
    series_required, series_rule, number_rule = rule
    if series:
        series, e = series_rule(series)
        if e:
            add(("dul_series", e))
    elif series_required:
        add(("dul_series", M.DUL_SERIES_REQUIRED))
    if number:
        number, e = number_rule(number)
        if e:
            add(("dul_number", e))
    else:
        add(("dul_number", M.DUL_NUMBER_REQUIRED))
    return code, series, number


def check_request(fields: Any, today: date | None = None) -> dict[str, Any]:
    """ФЛК of an individual request.

    fields: {field: str | int | None} (unknown keys ignored); whitespace is trimmed, '' = absent.
    -> {"ok", "errors": [{"field", "message"}], "normalized": {all 16 FIELDS; None when empty}}.
    """
    if not isinstance(fields, dict):
        fields = {}
    values, wrong = [], []
    for key in FIELDS:
        raw = fields.get(key)
        if isinstance(raw, str):
            values.append(raw.strip())
        elif raw is None:
            values.append("")
        elif isinstance(raw, int) and not isinstance(raw, bool):
            values.append(str(raw))
        else:
            values.append("")
            wrong.append(key)
    normalized, errors = RowChecker(today).check(values)
    if wrong:
        errors = [(key, M.NOT_TEXT) for key in wrong] + [err for err in errors if err[0] not in wrong]
    return {"ok": not errors, "errors": [{"field": f, "message": m} for f, m in errors], "normalized": normalized}
