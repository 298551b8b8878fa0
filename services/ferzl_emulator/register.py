"""A deterministic synthetic register of insured persons, built on demand.

Nothing is stored. Every identifier of person number i (0 <= i < size) is a keyed,
invertible function of i: a lookup decodes the identifier back to i, rebuilds the
person from random.Random(f"{seed}:{i}") and compares. Identifiers built the same
way for indexes at or above size have valid checksums but belong to nobody.
"""

import random
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, TypeVar, cast

from services.ferzl_emulator import names
from services.ferzl_emulator.ids import SNILS_UNCHECKED_MAX, Permutation, luhn_digit, snils_control
from services.ferzl_emulator.model import (
    SMO,
    TEMPORARY,
    Attachment,
    Document,
    Person,
    Policy,
    attachment_order,
    iso,
)
from shared.config import Settings
from shared.dictionaries.mo import mo_codes, smo_okato
from shared.dictionaries.policy_types import UNIFIED_POLICY_TYPES as UNIFIED

T = TypeVar("T")

DEFAULT_SEED = Settings.emulator_seed
DEFAULT_SIZE = Settings.emulator_size
MAX_SIZE = 10_000_000
REFERENCE_DATE = date(2026, 1, 1)  # the register's "now": nothing in it starts later
DAY = timedelta(days=1)

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
LETTERS = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯ"

# Current policy type -> weight; the period in which such policies were issued.
POLICY_KINDS = (("П", 38), ("Э", 36), ("Ц", 6), ("С", 8), ("В", 8), ("Е", 2), ("К", 2))
PERIODS = {
    "С": (date(1998, 1, 1), date(2010, 12, 31)),
    "П": (date(2011, 5, 1), date(2022, 11, 30)),
    "К": (date(2014, 1, 1), date(2016, 12, 31)),
    "Э": (date(2019, 1, 1), REFERENCE_DATE - 60 * DAY),
    "Ц": (date(2022, 12, 1), REFERENCE_DATE - 60 * DAY),
    "В": (REFERENCE_DATE - 40 * DAY, REFERENCE_DATE - DAY),
    "Е": (REFERENCE_DATE - 40 * DAY, REFERENCE_DATE - DAY),
}
# How a current policy stops being in force, for the 10 % that do (manual, Приложение 3).
CLOSED_POLICY = (
    ("НСН", 30),
    ("НСП", 4),
    ("НВС", 12),
    ("НПВ", 8),
    ("НПГ", 8),
    ("ННП", 12),
    ("НАЖ", 5),
    ("НВР", 5),
    ("НУБ", 4),
    ("НАП", 12),
)
CHILD_CLOSED_POLICY = (("НСН", 30), ("ННП", 40), ("НАП", 30))
ENDS_ATTACHMENTS = ("НСН", "НСП", "НПГ", "НАЖ", "НВР", "НУБ", "НАП")
OPEN_THERAPY = (("ДПП", 82), ("ДПУ", 10), ("ДВП", 4), ("ДВУ", 4))
CLOSED_THERAPY = (("НСМ", 50), ("НПП", 25), ("НАП", 25))
METHODS = (("2", 70), ("1", 25), ("3", 5))

MO = {profile: mo_codes(profile) for profile in ("general", "children", "women", "dental")}

KINDS = (
    "passport",
    "birth_certificate",
    "old_policy",
    "old_style",
    "temporary",
    "temporary_history",
    "several_attachments",
    "several_therapeutic",
    "dental",
    "no_attachments",
    "inactive_policy",
    "dead",
    "moscow",
    "no_patronymic",
    "unknown",
)


class Conflict(Exception):
    """Search groups that identify different persons."""


def _weighted(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    r = rng.random() * sum(w for _, w in pairs)
    for value, weight in pairs:
        r -= weight
        if r < 0:
            return value
    return pairs[-1][0]


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _between(rng: random.Random, lo: date, hi: date) -> date:
    """A random date in [lo, hi]; lo when the range is empty."""
    span = (hi - lo).days
    return lo + timedelta(days=rng.randint(0, span)) if span > 0 else lo


def _digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")


class Register:
    def __init__(self, seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE) -> None:
        if not 1 <= size <= MAX_SIZE:
            raise ValueError(f"register size must be 1..{MAX_SIZE}, got {size}")
        self.seed, self.size = seed, size
        self._oip = Permutation(10**12, seed, "oip")
        self._enp = Permutation(10**13, seed, "enp")
        self._snils = Permutation(10**9 - SNILS_UNCHECKED_MAX - 1, seed, "snils")
        self._passport = Permutation(10**8, seed, "passport")
        self._birth = Permutation(len(ROMAN) * len(LETTERS) ** 2 * 10**6, seed, "birth")
        self._old = Permutation(10**10, seed, "old-policy")
        self._tmp = Permutation(10**9, seed, "tmpcert")
        self.person = lru_cache(maxsize=8192)(self._build)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> "Register":
        """The register shared.config describes (EMULATOR_SEED, EMULATOR_SIZE): the one the emulator serves."""
        from shared import config

        settings = settings or config.load()
        return cls(settings.emulator_seed, settings.emulator_size)

    # ---- identifiers of index i ----

    def oip_of(self, i: int) -> str:
        return f"{self._oip.forward(i):012d}"

    def enp_of(self, i: int, okato: str) -> str:
        body = ("77" if okato == "45000" else "50") + f"{self._enp.forward(i):013d}"
        return body + luhn_digit(body)

    def snils_of(self, i: int) -> str:
        body = f"{self._snils.forward(i) + SNILS_UNCHECKED_MAX + 1:09d}"
        return body + snils_control(body)

    def passport_of(self, i: int, okato: str) -> tuple[str, str]:
        v = self._passport.forward(i)
        return f"{'45' if okato == '45000' else '46'} {v // 10**6:02d}", f"{v % 10**6:06d}"

    def birth_certificate_of(self, i: int) -> tuple[str, str]:
        v = self._birth.forward(i)
        rest = v // 10**6
        roman, rest = ROMAN[rest % len(ROMAN)], rest // len(ROMAN)
        letters = LETTERS[rest % len(LETTERS)] + LETTERS[rest // len(LETTERS)]
        return f"{roman}-{letters}", f"{v % 10**6:06d}"

    def old_number_of(self, i: int) -> str:
        return f"{self._old.forward(i):010d}"

    def tmpcert_of(self, i: int) -> str:
        return f"{self._tmp.forward(i):09d}"

    # ---- building a person ----

    def _build(self, index: int) -> Person:
        rng = random.Random(f"{self.seed}:{index}")
        sex = rng.choice((1, 2))
        female = sex == 2
        child = rng.random() < 0.18
        age_days = rng.randrange(0, 14 * 365) if child else rng.randrange(14 * 365 + 5, 92 * 365)
        birth = REFERENCE_DATE - timedelta(days=age_days + 1)
        surname = rng.choice(names.SURNAMES)[female]
        first_name = rng.choice(names.FEMALE_NAMES if female else names.MALE_NAMES)
        patronymic = None if rng.random() < 0.03 else rng.choice(names.PATRONYMICS)[female]
        okato = "45000" if rng.random() < 0.08 else "46000"
        document = self._document(index, rng, birth, okato)
        policies = self._policies(index, rng, birth, okato)
        current = policies[-1]
        death = current.date_e if current.status_closed in ("НСН", "НСП") else None
        attachments = self._attachments(rng, birth, sex, current)
        return Person(
            index,
            self.oip_of(index),
            self.enp_of(index, okato),
            self.snils_of(index),
            surname,
            first_name,
            patronymic,
            sex,
            birth,
            death,
            okato,
            document,
            policies,
            attachments,
        )

    def _document(self, index: int, rng: random.Random, birth: date, okato: str) -> Document:
        age = _age(birth, REFERENCE_DATE)
        if age >= 14:
            milestone = 45 if age >= 45 else 20 if age >= 20 else 14
            issued = _add_years(birth, milestone) + timedelta(days=rng.randrange(1, 60))
            series, number = self.passport_of(index, okato)
            return Document("14", series, number, min(issued, REFERENCE_DATE - DAY))
        issued = min(birth + timedelta(days=rng.randrange(3, 30)), REFERENCE_DATE - DAY)
        series, number = self.birth_certificate_of(index)
        return Document("3", series, number, issued)

    def _start(self, rng: random.Random, kind: str, birth: date) -> date:
        lo, hi = PERIODS[kind]
        lo = max(lo, birth + 5 * DAY)
        return min(_between(rng, lo, hi), REFERENCE_DATE - DAY) if lo <= hi else min(lo, REFERENCE_DATE - DAY)

    def _policies(self, index: int, rng: random.Random, birth: date, okato: str) -> tuple[Policy, ...]:
        kind = _weighted(rng, POLICY_KINDS)
        if kind in ("С", "П", "К") and birth + 5 * DAY > PERIODS[kind][1]:
            kind = "Ц" if birth >= PERIODS["Ц"][0] else "Э"  # born too late for that kind of policy
        insurers = [code for code in SMO if smo_okato(code) == okato]
        enp = self.enp_of(index, okato)
        old_series = f"{'77' if okato == '45000' else '50'}{rng.randrange(100):02d}"
        date_b = self._start(rng, kind, birth)
        if kind in TEMPORARY:
            current = Policy(
                kind,
                enp,
                date_b,
                date_b + 45 * DAY,
                "ДНП" if rng.random() < 0.7 else "ДПП",
                "НСД",
                okato,
                rng.choice(insurers),
                tmpcert=self.tmpcert_of(index),
            )
        else:
            status_open, status_closed, date_e = "ДНП" if rng.random() < 0.06 else "ДПП", None, None
            if rng.random() < 0.10:
                adult = _age(birth, REFERENCE_DATE) >= 18
                status_closed = _weighted(rng, CLOSED_POLICY if adult else CHILD_CLOSED_POLICY)
                span = (REFERENCE_DATE - date_b).days - 1
                date_e = date_b + timedelta(days=rng.randint(min(30, span), span)) if span > 0 else date_b
                status_open = "ДНП" if status_closed == "ННП" else "ДПП"
            old = (old_series, self.old_number_of(index)) if kind == "С" else (None, None)
            current = Policy(
                kind,
                enp,
                date_b,
                date_e,
                status_open,
                status_closed,
                okato,
                rng.choice(insurers),
                series=old[0],
                number=old[1],
            )
        history, start = [], current.date_b
        if kind in UNIFIED and rng.random() < 0.10 and (start - birth).days > 60:
            vs_b = start - timedelta(days=rng.randrange(20, 45))
            vs_type = "В" if rng.random() < 0.8 else "Е"
            history.append(
                Policy(
                    vs_type,
                    enp,
                    vs_b,
                    start - DAY,
                    "ДНП",
                    "НАП",
                    okato,
                    rng.choice(insurers),
                    tmpcert=self.tmpcert_of(index),
                )
            )
            start = vs_b
        if kind in UNIFIED and rng.random() < 0.22:
            lo, hi = max(PERIODS["С"][0], birth + 5 * DAY), min(PERIODS["С"][1], start - 2 * DAY)
            if lo <= hi:
                history.insert(
                    0,
                    Policy(
                        "С",
                        enp,
                        _between(rng, lo, hi),
                        start - DAY,
                        "ДПП",
                        "НАП",
                        okato,
                        rng.choice(insurers),
                        series=old_series,
                        number=self.old_number_of(index),
                    ),
                )
        return tuple(history + [current])

    def _attachments(self, rng: random.Random, birth: date, sex: int, current: Policy) -> tuple[Attachment, ...]:
        if rng.random() < 0.08:
            return ()
        adult_on = _add_years(birth, 18)
        last = REFERENCE_DATE - DAY
        method = _weighted(rng, METHODS)

        def therapy_mo(on: date) -> str:
            return rng.choice(MO["children"] if on < adult_on else MO["general"])

        items = []
        main_b = min(_between(rng, max(birth + 10 * DAY, date(2012, 1, 1)), REFERENCE_DATE - 30 * DAY), last)
        prev_lo = max(birth + 10 * DAY, date(2005, 1, 1))
        if rng.random() < 0.3 and (main_b - prev_lo).days > 60:
            prev_b = _between(rng, prev_lo, main_b - 30 * DAY)
            closed = "НДВ" if prev_b < adult_on <= main_b else _weighted(rng, CLOSED_THERAPY)
            items.append(Attachment("1", therapy_mo(prev_b), method, prev_b, main_b - DAY, "ДПП", closed))
        items.append(Attachment("1", therapy_mo(main_b), method, main_b, None, _weighted(rng, OPEN_THERAPY), None))
        if rng.random() < 0.10:  # a second active therapy attachment ("иные прикрепления")
            b = _between(rng, main_b + DAY, last)
            items.append(Attachment("1", therapy_mo(b), "2", b, None, rng.choice(("ДПУ", "ДВП", "ДВУ")), None))
        if rng.random() < 0.15 and _age(birth, REFERENCE_DATE) >= 3:
            b = _between(rng, max(_add_years(birth, 3), date(2012, 1, 1)), last)
            items.append(
                Attachment("3", rng.choice(MO["dental"]), "2", b, None, "ДПП" if rng.random() < 0.7 else "ДПУ", None)
            )
        if sex == 2 and _age(birth, REFERENCE_DATE) >= 16 and rng.random() < 0.10:
            b = _between(rng, max(_add_years(birth, 16), date(2012, 1, 1)), last)
            items.append(Attachment("2", rng.choice(MO["women"]), "2", b, None, "ДПП", None))
        if current.status_closed in ENDS_ATTACHMENTS:  # death or loss of status annuls attachments
            end = current.date_e
            assert end is not None  # a policy closed by death or loss of status has its end date
            items = [
                a
                if a.date_e is not None
                else Attachment(a.area_type, a.mo_code, a.method, a.date_b, end, a.status_open, "НАП")
                for a in items
                if a.date_b <= end
            ]
        return tuple(sorted(items, key=lambda a: a.date_b))

    # ---- lookups: each returns a known Person or None ----

    def _known(self, index: int | None, check: Callable[[Person], bool]) -> Person | None:
        if index is None or index >= self.size:
            return None
        person = self.person(index)
        return person if check(person) else None

    def by_oip(self, oip: str) -> Person | None:
        if not re.fullmatch(r"\d{12}", oip or ""):
            return None
        return self._known(self._oip.back(int(oip)), lambda p: p.oip == oip)

    def by_enp(self, enp: str, policy_type: str | None = None) -> Person | None:
        """By ЕНП; with a type, the person must have had a policy of that type."""
        if not re.fullmatch(r"\d{16}", enp or ""):
            return None
        return self._known(
            self._enp.back(int(enp[2:15])),
            lambda p: p.enp == enp and (policy_type is None or any(x.type == policy_type for x in p.policies)),
        )

    def by_snils(self, snils: str | None, birth_date: date | None = None) -> Person | None:
        digits = _digits(snils)
        if len(digits) != 11 or int(digits[:9]) <= SNILS_UNCHECKED_MAX:
            return None
        index = self._snils.back(int(digits[:9]) - SNILS_UNCHECKED_MAX - 1)
        return self._known(index, lambda p: p.snils == digits and birth_date in (None, p.birth_date))

    def by_old_policy(self, series: str | None, number: str) -> Person | None:
        """Old-style policy (С): by number, and by series too when given."""
        if not re.fullmatch(r"\d{10}", number or ""):
            return None
        wanted = _digits(series) if series else None
        return self._known(
            self._old.back(int(number)),
            lambda p: any(x.type == "С" and x.number == number and wanted in (None, x.series) for x in p.policies),
        )

    def by_tmpcert(self, number: str) -> Person | None:
        if not re.fullmatch(r"\d{9}", number or ""):
            return None
        return self._known(self._tmp.back(int(number)), lambda p: any(x.tmpcert == number for x in p.policies))

    def by_document(
        self, doc_type: str | None, series: str | None, number: str | None, date_b: date | None = None
    ) -> Person | None:
        """Passport of the RF (14: series '46 12' or '4612') or birth certificate (3: series 'IV-МЮ')."""
        number = (number or "").strip()
        if not re.fullmatch(r"\d{6}", number):
            return None
        if doc_type == "14":
            ser = _digits(series)
            if len(ser) != 4:
                return None
            index = self._passport.back(int(ser[2:]) * 10**6 + int(number))
            wanted = f"{ser[:2]} {ser[2:]}"
        elif doc_type == "3":
            wanted = re.sub(r"\s", "", (series or "").upper())
            m = re.fullmatch(r"([IVX]+)-([А-ЯЁ])([А-ЯЁ])", wanted)
            if not m or m.group(1) not in ROMAN or m.group(2) not in LETTERS or m.group(3) not in LETTERS:
                return None
            rest = (LETTERS.index(m.group(3)) * len(LETTERS) + LETTERS.index(m.group(2))) * len(ROMAN)
            index = self._birth.back((rest + ROMAN.index(m.group(1))) * 10**6 + int(number))
        else:
            return None
        return self._known(
            index,
            lambda p: (
                (p.document.type, p.document.series, p.document.number) == (doc_type, wanted, number)
                and date_b in (None, p.document.date_b)
            ),
        )

    def by_policy(self, pcy: Mapping[str, Any]) -> Person | None:
        """pcy: dict with type, enp, series, number, tmpcert (None when absent)."""
        kind = pcy.get("type")
        if kind == "С":
            return self.by_old_policy(pcy.get("series"), pcy.get("number") or "")
        if kind in TEMPORARY:
            return self.by_tmpcert(pcy.get("tmpcert") or "")
        if kind in UNIFIED or kind is None:
            return self.by_enp(pcy.get("enp") or "", kind)
        return None  # Х, М: states, not documents

    def find(self, query: Mapping[str, Any]) -> Person | None:
        """The person every given group identifies, or None. Raises Conflict when groups disagree.

        query: oip, pcy (dict), dudl (type, series, number, date_b), snils (snils, birth_date),
        surname, first_name, patronymic -- each None when absent.
        """
        found: list[Person | None] = []
        if query.get("oip"):
            found.append(self.by_oip(query["oip"]))
        if query.get("pcy"):
            found.append(self.by_policy(query["pcy"]))
        if query.get("dudl"):
            d = query["dudl"]
            found.append(self.by_document(d.get("type"), d.get("series"), d.get("number"), d.get("date_b")))
        if query.get("snils"):
            found.append(self.by_snils(query["snils"].get("snils"), query["snils"].get("birth_date")))
        if not found or None in found:
            return None
        persons = cast(list[Person], found)
        if len({p.index for p in persons}) > 1:
            raise Conflict()
        person = persons[0]
        for key in ("surname", "first_name", "patronymic"):
            if query.get(key) and names.fold(query[key]) != names.fold(getattr(person, key)):
                return None
        return person

    # ---- what the register says ----

    def answer(self, person: Person, dt: date) -> dict[str, Any]:
        """The answer ОЗСП should derive from getPersonData for this person as of dt (bridge answer shape)."""
        pol = person.policy_on(dt)
        policy = None
        if pol:
            status, date_e = pol.on(dt)
            name, ogrn = SMO[pol.smo_code]
            policy = {
                "type": pol.type,
                "series": pol.series,
                "number": pol.number or pol.tmpcert or pol.enp,
                "enp": pol.enp,
                "status": status,
                "date_begin": iso(pol.date_b),
                "date_end": iso(date_e),
                "okato": pol.okato,
                "smo_name": name,
                "smo_ogrn": ogrn,
                "smo_code": pol.smo_code,
            }
        attachments = []
        for a in person.attachments_on(dt):
            status, date_e = a.on(dt)
            attachments.append(
                {
                    "status": status,
                    "mo_code": a.mo_code,
                    "date_begin": iso(a.date_b),
                    "date_end": iso(date_e),
                    "area_type": a.area_type,
                }
            )
        attachments.sort(key=attachment_order)
        return {"oip": person.oip, "enp": pol.enp if pol else None, "policy": policy, "attachments": attachments}

    def tags(self, person: Person) -> list[str]:
        """Kinds this person is an example of (as of REFERENCE_DATE), for /emulator/sample."""
        current, history = person.policies[-1], person.policies[:-1]
        open_therapy = [a for a in person.attachments if a.area_type == "1" and a.date_e is None]
        checks = {
            "passport": person.document.type == "14",
            "birth_certificate": person.document.type == "3",
            "old_policy": any(p.type == "С" for p in history),
            "old_style": current.type == "С",
            "temporary": current.type in TEMPORARY,
            "temporary_history": any(p.type in TEMPORARY for p in history),
            "several_attachments": len(person.attachments) >= 2,
            "several_therapeutic": len(open_therapy) >= 2,
            "dental": any(a.area_type == "3" for a in person.attachments),
            "no_attachments": not person.attachments,
            "inactive_policy": current.status_closed is not None and current.type not in TEMPORARY,
            "dead": person.death_date is not None,
            "moscow": person.okato == "45000",
            "no_patronymic": person.patronymic is None,
        }
        return sorted(k for k, v in checks.items() if v)

    def sample(self, n: int = 10, kind: str | None = None) -> list[Person]:
        """The first n persons of a kind (any when None), scanning from index 0; 'unknown' gives nobody's ids."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        if kind == "unknown":
            return [self._build(self.size + k) for k in range(n)]
        out = []
        for index in range(self.size):
            person = self._build(index)  # not cached: a scan must not evict hot persons
            if kind is None or kind in self.tags(person):
                out.append(person)
                if len(out) >= n:
                    break
        return out

    def describe(self, person: Person, dt: date) -> dict[str, Any]:
        """Everything about a person as JSON-ready data: identifiers, history, the expected answer."""
        known = person.index < self.size
        doc = person.document
        return {
            "index": person.index,
            "known": known,
            "oip": person.oip,
            "enp": person.enp,
            "snils": person.snils,
            "surname": person.surname,
            "first_name": person.first_name,
            "patronymic": person.patronymic,
            "sex": person.sex,
            "birth_date": iso(person.birth_date),
            "death_date": iso(person.death_date),
            "okato": person.okato,
            "document": {"type": doc.type, "series": doc.series, "number": doc.number, "date_b": iso(doc.date_b)},
            "policies": [
                {
                    "type": p.type,
                    "series": p.series,
                    "number": p.number,
                    "tmpcert": p.tmpcert,
                    "enp": p.enp,
                    "date_b": iso(p.date_b),
                    "date_e": iso(p.date_e),
                    "status_open": p.status_open,
                    "status_closed": p.status_closed,
                    "okato": p.okato,
                    "smo_code": p.smo_code,
                }
                for p in person.policies
            ],
            "attachments": [
                {
                    "area_type": a.area_type,
                    "mo_code": a.mo_code,
                    "method": a.method,
                    "date_b": iso(a.date_b),
                    "date_e": iso(a.date_e),
                    "status_open": a.status_open,
                    "status_closed": a.status_closed,
                }
                for a in person.attachments
            ],
            "tags": self.tags(person),
            "answer": self.answer(person, dt) if known else None,
        }
