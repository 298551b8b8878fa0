"""Check digits: ЕНП (Luhn, mod 10) and СНИЛС (weighted sum mod 101). Input is ASCII digits only.

Sums run over the ASCII codes (`sum(text.encode())`, minus 48 per digit): the same arithmetic, faster.
"""

from operator import mul

_DOUBLED = str.maketrans("0123456789", "0246813579")  # digit -> digit sum of 2*digit
_ZERO = ord("0")
_SNILS_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, 1)
_SNILS_ZERO = _ZERO * sum(_SNILS_WEIGHTS)


def _digit_sum(text: str) -> int:
    return sum(text.encode()) - _ZERO * len(text)


def luhn_ok(digits: str) -> bool:
    """Luhn: from the right, every second digit is doubled (minus 9 above 9); the sum ends in 0."""
    rev = digits[::-1]
    return _digit_sum(rev[0::2] + rev[1::2].translate(_DOUBLED)) % 10 == 0


def luhn_digit(body: str) -> str:
    """The check digit to append to `body` so that the whole passes luhn_ok."""
    rev = body[::-1]  # after appending, these digits sit at odd positions from the right: doubled
    return str(-_digit_sum(rev[0::2].translate(_DOUBLED) + rev[1::2]) % 10)


SNILS_UNCHECKED_MAX = 1001998  # numbers up to 001-001-998 carry no checksum


def snils_control(number9: str) -> int:
    """Control number of a 9-digit СНИЛС body: weights 9..1; <100 as is; 100/101 -> 0; else mod 101 (100 -> 0)."""
    total = sum(map(mul, number9.encode(), _SNILS_WEIGHTS)) - _SNILS_ZERO
    if total < 100:
        return total
    if total <= 101:
        return 0
    return total % 101 % 100


def snils_ok(digits: str) -> bool:
    """11 digits; the last two must match snils_control unless the body is <= 001-001-998."""
    if int(digits[:9]) <= SNILS_UNCHECKED_MAX:
        return True
    return snils_control(digits[:9]) == int(digits[9:])
