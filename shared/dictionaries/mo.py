"""Synthetic dictionaries of МО (medical organisations) and СМО (insurers) of the Moscow Region.

The names are obviously fake; the ФЕРЗЛ emulator attaches persons to these МО and insures
them with these СМО, and the journal seeds the МО list to resolve names (ФЕРЗЛ sends codes only).
Both lists are fixed: the same on every machine and every run.
"""

# (name template, profile, how many). Profiles: general/children -> therapy (areaType 1),
# women -> obstetrics-gynaecology (2), dental -> dental (3).
_MO_KINDS = (
    ('ГБУЗ МО "ТЕСТОВАЯ ГОРОДСКАЯ ПОЛИКЛИНИКА № {n}"', "general", 30),
    ('ГБУЗ МО "ПРИМЕРНАЯ ЦЕНТРАЛЬНАЯ РАЙОННАЯ БОЛЬНИЦА № {n}"', "general", 30),
    ('ГБУЗ МО "ОБРАЗЦОВАЯ ГОРОДСКАЯ БОЛЬНИЦА № {n}"', "general", 30),
    ('ООО "МАКЕТНЫЙ МЕДИЦИНСКИЙ ЦЕНТР № {n}"', "general", 30),
    ('ГБУЗ МО "УСЛОВНАЯ ДЕТСКАЯ ПОЛИКЛИНИКА № {n}"', "children", 30),
    ('ГБУЗ МО "ТЕСТОВАЯ ЖЕНСКАЯ КОНСУЛЬТАЦИЯ № {n}"', "women", 20),
    ('ГАУЗ МО "ТЕСТОВАЯ СТОМАТОЛОГИЧЕСКАЯ ПОЛИКЛИНИКА № {n}"', "dental", 30),
)


def _build_mo() -> tuple[tuple[str, str, str], ...]:
    rows: list[tuple[str, str, str]] = []
    i = 0
    for template, profile, count in _MO_KINDS:
        for n in range(1, count + 1):
            code = f"50{1000 + (i * 7919) % 9000:04d}"  # 7919 is prime to 9000: codes never repeat
            rows.append((code, template.format(n=n), profile))
            i += 1
    return tuple(sorted(rows))


_MO = _build_mo()


def mo_dictionary() -> list[tuple[str, str]]:
    """[(code, name)]: 200 МО, 6-digit codes 50xxxx, sorted by code."""
    return [(code, name) for code, name, _ in _MO]


def mo_codes(profile: str) -> list[str]:
    """Codes of the МО of one profile: general, children, women or dental."""
    return [code for code, _, p in _MO if p == profile]


def ogrn_check_digit(first12: str) -> str:
    """ОГРН of a legal entity: the 13th digit is (first 12 digits as a number) mod 11, mod 10."""
    return str(int(first12) % 11 % 10)


# (code, name, first 12 digits of the ОГРН). Codes 50xxx insure in the Moscow Region (ОКАТО 46000),
# 77xxx in Moscow (ОКАТО 45000).
_SMO = (
    ("50001", 'ООО "ТЕСТОВАЯ СТРАХОВАЯ КОМПАНИЯ"', "102500000101"),
    ("50002", 'АО "ПРИМЕРНАЯ МЕДИЦИНСКАЯ СТРАХОВАЯ КОМПАНИЯ"', "103500000202"),
    ("50003", 'ООО "ОБРАЗЦОВОЕ МЕДИЦИНСКОЕ СТРАХОВАНИЕ"', "104500000303"),
    ("50004", 'АО "УСЛОВНАЯ СТРАХОВАЯ КОМПАНИЯ"', "105500000404"),
    ("77001", 'ООО "МАКЕТНАЯ СТРАХОВАЯ КОМПАНИЯ"', "102770000505"),
    ("77002", 'АО "ВЫМЫШЛЕННАЯ СТРАХОВАЯ КОМПАНИЯ"', "103770000606"),
)


def smo_dictionary() -> list[tuple[str, str, str]]:
    """[(code, name, ogrn)]: the synthetic СМО, 5-digit codes, 13-digit ОГРН with a valid check digit."""
    return [(code, name, first12 + ogrn_check_digit(first12)) for code, name, first12 in _SMO]


def smo_okato(code: str) -> str:
    """ОКАТО of the territory an СМО insures in: 46000 for 50xxx, 45000 for 77xxx."""
    return "45000" if code.startswith("77") else "46000"
