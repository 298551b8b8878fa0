"""The emulator's synthetic register: deterministic, valid checksums, every identifier finds its person."""

import random
import re
from datetime import date, timedelta

import pytest

from services.ferzl_emulator import names
from services.ferzl_emulator.register import KINDS, MAX_SIZE, REFERENCE_DATE, Conflict, Register
from shared.dictionaries.mo import mo_dictionary, smo_dictionary

REGISTER = Register()
INDEXES = list(range(0, REGISTER.size, 997)) + [REGISTER.size - 1]
FAKE_SURNAMES = {form for pair in names.SURNAMES for form in pair}


# Reference check-digit algorithms, written independently of services/ferzl_emulator/ids.py.


def enp_valid(enp):
    total = 0
    for i, ch in enumerate(reversed(enp)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return len(enp) == 16 and total % 10 == 0


def snils_valid(snils):
    s = sum(int(d) * (9 - i) for i, d in enumerate(snils[:9]))
    control = s if s < 100 else 0 if s in (100, 101) else s % 101 % 100
    return len(snils) == 11 and int(snils[:9]) > 1001998 and int(snils[9:]) == control


def ogrn_valid(ogrn):
    return len(ogrn) == 13 and int(ogrn[:12]) % 11 % 10 == int(ogrn[12])


def test_reference_algorithms_on_documented_examples():
    assert enp_valid("5096989785000017")
    assert snils_valid("11223344595") and snils_valid("11285589974") and snils_valid("40210248800")
    assert not snils_valid("11223344596")


def test_same_seed_same_register_other_seed_other_register():
    again, other = Register(REGISTER.seed, REGISTER.size), Register(REGISTER.seed + 1, REGISTER.size)
    today = date(2026, 6, 1)
    for i in INDEXES[:30]:
        assert again.describe(again.person(i), today) == REGISTER.describe(REGISTER.person(i), today)
    assert {REGISTER.person(i).enp for i in INDEXES} != {other.person(i).enp for i in INDEXES}
    assert REGISTER.sample(5, "old_policy") == again.sample(5, "old_policy")


@pytest.mark.parametrize("index", INDEXES)
def test_identifiers_have_valid_formats_and_checksums(index):
    p = REGISTER.person(index)
    assert re.fullmatch(r"\d{12}", p.oip)
    assert enp_valid(p.enp) and p.enp[:2] in ("50", "77")
    assert snils_valid(p.snils)
    doc = p.document
    if doc.type == "14":
        assert re.fullmatch(r"4[56] \d\d", doc.series) and re.fullmatch(r"\d{6}", doc.number)
    else:
        assert doc.type == "3" and re.fullmatch(r"[IVX]+-[А-Я]{2}", doc.series) and re.fullmatch(r"\d{6}", doc.number)
    for policy in p.policies:
        assert policy.enp == p.enp
        if policy.type == "С":
            assert re.fullmatch(r"\d{4}", policy.series) and re.fullmatch(r"\d{10}", policy.number)
        if policy.type in ("В", "Е"):
            assert re.fullmatch(r"\d{9}", policy.tmpcert)


def test_smo_and_mo_dictionaries():
    smo = smo_dictionary()
    assert all(re.fullmatch(r"(50|77)\d{3}", code) and ogrn_valid(ogrn) for code, _, ogrn in smo)
    assert all("СТРАХОВ" in name for _, name, _ in smo)
    mo = mo_dictionary()
    assert len(mo) == 200 and len({c for c, _ in mo}) == 200
    assert all(re.fullmatch(r"50\d{4}", code) for code, _ in mo)
    assert all(re.search(r"(ТЕСТОВ|ПРИМЕРН|ОБРАЗЦОВ|УСЛОВН|МАКЕТН)", name) for _, name in mo)
    assert mo == mo_dictionary()


@pytest.mark.parametrize("index", INDEXES)
def test_every_identifier_finds_its_person(index):
    r, p = REGISTER, REGISTER.person(index)
    doc = p.document
    assert r.by_oip(p.oip) == p
    assert r.by_enp(p.enp) == p
    assert r.by_snils(p.snils) == p
    assert r.by_snils(f"{p.snils[:3]}-{p.snils[3:6]}-{p.snils[6:9]} {p.snils[9:]}", p.birth_date) == p
    assert r.by_document(doc.type, doc.series, doc.number) == p
    assert r.by_document(doc.type, doc.series.lower(), doc.number, doc.date_b) == p
    for policy in p.policies:  # historical documents find the person too
        if policy.type == "С":
            assert r.by_old_policy(policy.series, policy.number) == p
            assert r.by_old_policy(None, policy.number) == p
        elif policy.type in ("В", "Е"):
            assert r.by_tmpcert(policy.tmpcert) == p
        else:
            assert r.by_enp(p.enp, policy.type) == p
    assert (
        r.find(
            {
                "oip": p.oip,
                "pcy": {"type": None, "enp": p.enp},
                "snils": {"snils": p.snils},
                "dudl": {"type": doc.type, "series": doc.series, "number": doc.number},
            }
        )
        == p
    )


def test_passport_series_without_space_and_wrong_details():
    p = next(x for x in (REGISTER.person(i) for i in INDEXES) if x.document.type == "14")
    doc = p.document
    assert REGISTER.by_document("14", doc.series.replace(" ", ""), doc.number) == p
    assert REGISTER.by_document("14", doc.series, doc.number, doc.date_b + timedelta(days=1)) is None
    assert REGISTER.by_document("3", doc.series, doc.number) is None
    assert REGISTER.by_snils(p.snils, p.birth_date + timedelta(days=1)) is None
    assert REGISTER.by_enp(p.enp, "К" if p.policies[-1].type != "К" else "П") is None


def test_unknown_persons_have_valid_identifiers_that_find_nobody():
    unknown = REGISTER.sample(50, "unknown")
    assert all(p.index >= REGISTER.size for p in unknown)
    for p in unknown:
        assert enp_valid(p.enp) and snils_valid(p.snils)
        doc = p.document
        assert REGISTER.find({"oip": p.oip}) is None
        assert REGISTER.find({"pcy": {"type": None, "enp": p.enp}}) is None
        assert REGISTER.find({"snils": {"snils": p.snils}}) is None
        assert REGISTER.find({"dudl": {"type": doc.type, "series": doc.series, "number": doc.number}}) is None
        assert REGISTER.by_tmpcert(REGISTER.tmpcert_of(p.index)) is None
        assert REGISTER.by_old_policy(None, REGISTER.old_number_of(p.index)) is None


def test_random_valid_enps_mostly_belong_to_nobody():
    rnd = random.Random(7)
    found = 0
    for _ in range(2000):
        body = "50" + "".join(rnd.choice("0123456789") for _ in range(13))
        check = next(str(d) for d in range(10) if enp_valid(body + str(d)))
        found += REGISTER.by_enp(body + check) is not None
    assert found == 0


def test_size_bounds():
    with pytest.raises(ValueError):
        Register(size=0)
    with pytest.raises(ValueError):
        Register(size=MAX_SIZE + 1)
    small = Register(REGISTER.seed, 10)
    assert small.by_oip(small.person(9).oip) == small.person(9)
    assert small.by_oip(small.person(10).oip) is None  # index 10 is outside a register of 10
    assert [p.index for p in small.sample(100)] == list(range(10))
    assert small.sample(3, "unknown")[0].index == 10


def test_names_are_obviously_fake():
    for i in INDEXES:
        p = REGISTER.person(i)
        assert p.surname in FAKE_SURNAMES
        assert p.surname == p.surname.upper() and p.first_name == p.first_name.upper()
        assert (p.surname in {m for m, _ in names.SURNAMES}) == (p.sex == 1)


def test_every_kind_occurs_among_the_first_thousands():
    seen = set()
    for i in range(6000):
        seen.update(REGISTER.tags(REGISTER.person(i)))
    assert seen == set(KINDS) - {"unknown"}


def test_find_combines_groups_with_and_and_checks_names():
    a, b = REGISTER.person(1), REGISTER.person(2)
    with pytest.raises(Conflict):
        REGISTER.find({"oip": a.oip, "snils": {"snils": b.snils}})
    assert REGISTER.find({"oip": a.oip, "snils": {"snils": b.snils[:9] + "00"}}) is None
    query = {"oip": a.oip, "surname": a.surname.lower(), "first_name": a.first_name.replace("Ё", "Е")}
    assert REGISTER.find(query) == a
    assert REGISTER.find({**query, "surname": "ДРУГОЙ"}) is None
    nameless = next(p for p in (REGISTER.person(i) for i in range(2000)) if p.patronymic is None)
    assert REGISTER.find({"oip": nameless.oip, "patronymic": "ИВАНОВИЧ"}) is None
    yo = next(p for p in (REGISTER.person(i) for i in range(2000)) if "Ё" in p.first_name)
    assert REGISTER.find({"oip": yo.oip, "first_name": yo.first_name.replace("Ё", "е").lower()}) == yo
    assert REGISTER.find({}) is None


def test_policy_and_history_as_of_a_date():
    p = REGISTER.sample(1, "old_policy")[0]
    old, current = p.policies[0], p.policies[-1]
    assert old.type == "С" and old.status_closed == "НАП" and old.date_e < current.date_b
    during_old = old.date_b + timedelta(days=1)
    answer = REGISTER.answer(p, during_old)
    assert answer["policy"]["type"] == "С" and answer["policy"]["status"] == "ДПП"
    assert answer["policy"]["series"] == old.series and answer["policy"]["number"] == old.number
    now = REGISTER.answer(p, REFERENCE_DATE)
    assert now["policy"]["type"] == current.type and now["policy"]["number"] == p.enp
    assert REGISTER.answer(p, old.date_b - timedelta(days=1))["policy"] is None


def test_temporary_certificate_expires():
    p = REGISTER.sample(1, "temporary")[0]
    vs = p.policies[-1]
    inside = REGISTER.answer(p, vs.date_b + timedelta(days=1))["policy"]
    assert inside["status"] in ("ДНП", "ДПП") and inside["number"] == vs.tmpcert
    assert inside["date_end"] == vs.date_e.isoformat()
    after = REGISTER.answer(p, vs.date_e + timedelta(days=1))["policy"]
    assert after["status"] == "НСД"


def test_dates_are_consistent():
    for i in range(0, 20000, 13):
        p = REGISTER.person(i)
        assert p.birth_date < REFERENCE_DATE and p.document.date_b >= p.birth_date
        previous_end = None
        for policy in p.policies:
            assert p.birth_date <= policy.date_b < REFERENCE_DATE
            assert policy.date_e is None or policy.date_e >= policy.date_b
            assert previous_end is None or policy.date_b > previous_end
            previous_end = policy.date_e
        for a in p.attachments:
            assert p.birth_date <= a.date_b < REFERENCE_DATE
            assert a.date_e is None or (a.date_e >= a.date_b and a.status_closed and a.status_closed[0] == "Н")
            assert a.status_open[0] == "Д"


def test_answer_orders_active_therapy_first_then_newest():
    for p in REGISTER.sample(20, "several_attachments"):
        rows = REGISTER.answer(p, REFERENCE_DATE)["attachments"]
        first = [r for r in rows if r["area_type"] == "1" and r["status"][0] == "Д"]
        assert rows[: len(first)] == first
        for group in (first, rows[len(first) :]):
            assert [r["date_begin"] for r in group] == sorted((r["date_begin"] for r in group), reverse=True)


def test_register_from_settings():
    from shared import config

    r = Register.from_settings(config.load({"EMULATOR_SEED": "7", "EMULATOR_SIZE": "50"}))
    assert (r.seed, r.size) == (7, 50)
