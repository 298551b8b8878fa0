"""F011 dictionary, policy types and the check-digit functions."""

import random

import pytest

from services.flk.dul import DUL_RULES
from shared.checksums import luhn_digit, luhn_ok, snils_control, snils_ok
from shared.dictionaries.f011 import F011, INFERRED_MASKS, dul_type_choices


def test_f011_choices_for_a_drop_down():
    choices = dul_type_choices()
    assert choices[0] == (1, "Паспорт гражданина СССР")
    assert (14, "Паспорт гражданина РФ") in choices and (3, "Свидетельство о рождении, выданное в РФ") in choices
    assert [code for code, _ in choices] == sorted(F011)
    assert 19 not in F011 and 20 not in F011


def test_f011_masks_from_the_reference():
    assert F011[14][1:] == ("99 99", "9999990")
    assert F011[3][1:] == ("R-ББ", "999999")
    assert INFERRED_MASKS <= set(F011) and 14 not in INFERRED_MASKS


def test_every_f011_code_has_a_rule():
    assert set(DUL_RULES) == {str(code) for code in F011}


@pytest.mark.parametrize("enp", ["5096989785000017", "5055120840001936", "0000000000000000"])
def test_luhn_valid(enp):
    assert luhn_ok(enp) and luhn_digit(enp[:-1]) == enp[-1]


def test_luhn_digit_round_trip_and_single_digit_errors():
    rnd = random.Random(3)
    for _ in range(500):
        body = f"{rnd.randrange(10**15):015d}"
        number = body + luhn_digit(body)
        assert luhn_ok(number)
        i = rnd.randrange(16)
        wrong = number[:i] + str((int(number[i]) + rnd.randrange(1, 10)) % 10) + number[i + 1 :]
        assert not luhn_ok(wrong)


def test_luhn_matches_the_reference_formula():
    rnd = random.Random(4)
    for _ in range(2000):
        enp = f"{rnd.randrange(10**16):016d}"
        reference = (
            sum(d if i % 2 == 0 else (2 * d - 9 if 2 * d > 9 else 2 * d) for i, d in enumerate(map(int, reversed(enp))))
            % 10
            == 0
        )
        assert luhn_ok(enp) == reference


@pytest.mark.parametrize(
    "body, control",
    [
        ("112233445", 95),
        ("112855899", 74),
        ("402102488", 0),
        ("141141702", 0),
        ("642185924", 0),
        ("001474049", 99),
        ("030356132", 1),
        ("742363655", 0),
        ("158361694", 96),
    ],
)
def test_snils_control(body, control):
    assert snils_control(body) == control
    assert snils_ok(f"{body}{control:02d}")


def test_snils_exempt_up_to_001_001_998():
    assert snils_ok("00100199812") and not snils_ok("00100199912") and snils_ok("00100199965")
