"""Check digits and the keyed permutation that turns a person's index into identifiers and back."""

import math
import random

from shared.params import format_snils as format_snils  # the form ФЕРЗЛ answers with (soap.py)


def luhn_digit(body: str) -> str:
    """The digit that makes body + digit pass the Luhn (mod 10) check, as ЕНП uses."""
    total = 0
    for pos, ch in enumerate(reversed(body)):  # after appending, pos 0 here is doubled
        d = int(ch) * (2 if pos % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def luhn_ok(digits: str) -> bool:
    return len(digits) > 1 and digits.isdigit() and luhn_digit(digits[:-1]) == digits[-1]


SNILS_UNCHECKED_MAX = 1001998  # numbers up to 001-001-998 carry no checksum


def snils_control(body9: str) -> str:
    """The two control digits of a 9-digit СНИЛС body (weights 9..1, then mod 101 rules)."""
    total = sum(int(d) * w for d, w in zip(body9, range(9, 0, -1)))
    if total > 101:
        total %= 101
    return f"{0 if total >= 100 else total:02d}"


def snils_ok(digits: str) -> bool:
    if len(digits) != 11 or not digits.isdigit() or digits == "0" * 11:
        return False
    return int(digits[:9]) <= SNILS_UNCHECKED_MAX or snils_control(digits[:9]) == digits[9:]


class Permutation:
    """x -> (a*x + b) mod m with a prime to m: a bijection of [0, m), keyed by seed and salt."""

    def __init__(self, modulus: int, seed: int, salt: str):
        rnd = random.Random(f"{seed}:{salt}")
        a = rnd.randrange(modulus // 3, modulus)
        while math.gcd(a, modulus) != 1:
            a += 1
        self.m, self.a, self.b = modulus, a, rnd.randrange(modulus)
        self.a_inv = pow(a, -1, modulus)

    def forward(self, x: int) -> int:
        return (self.a * x + self.b) % self.m

    def back(self, y: int) -> int:
        return (y - self.b) * self.a_inv % self.m
