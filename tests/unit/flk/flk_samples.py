"""Synthetic request data for the ФЛК tests: obviously fake people, valid checksums, generated on the fly."""

import random
from datetime import date, timedelta

from services.flk.group import COLUMNS
from shared.checksums import luhn_digit, snils_control
from shared.params import FIELDS

TODAY = date(2024, 6, 15)
ENP = "5096989785000017"  # synthetic, Luhn-valid (ferzl-interface.md §7)
SNILS = "112-233-445 95"  # synthetic, checksum-valid (ferzl-interface.md §7)
SURNAMES = ("ТЕСТОВ", "ПРИМЕРОВ", "ОБРАЗЦОВ", "ВЫМЫШЛЕНКО")


def enp(rnd):
    body = f"{rnd.randrange(10**15):015d}"
    return body + luhn_digit(body)


def snils(rnd, dashed=True):
    body = f"{rnd.randrange(1_002_000, 10**9):09d}"  # above 001-001-998: the checksum applies
    control = f"{snils_control(body):02d}"
    return f"{body[:3]}-{body[3:6]}-{body[6:]} {control}" if dashed else body + control


def birth(rnd):
    return (date(1930, 1, 1) + timedelta(days=rnd.randrange(30000))).strftime("%d.%m.%Y")


def row(**values):
    """16 values in header order from field=value keywords ('' for the rest)."""
    unknown = set(values) - set(FIELDS)
    assert not unknown, unknown
    return [values.get(key, "") for key in FIELDS]


def csv_bytes(rows, delimiter=";", encoding="utf-8", newline="\r\n", header=None, bom=False):
    """A group file: header + rows (lists of 16 strings, or ready-made lines as str)."""
    lines = [header if header is not None else delimiter.join(COLUMNS)]
    lines += [r if isinstance(r, str) else delimiter.join(r) for r in rows]
    data = (newline.join(lines) + newline).encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def valid_rows(count, seed=7):
    """count valid rows, rotating the identifying groups; every row differs in its identifying data."""
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        kind = i % 5
        if kind == 0:
            out.append(row(name=f"RQ{i}", enp=enp(rnd), as_of="19.06.2023"))
        elif kind == 1:
            out.append(
                row(
                    name=f"RQ{i}",
                    snils=snils(rnd),
                    surname="тестова",
                    first_name="Анна",
                    patronymic="Примеровна",
                    birth_date=birth(rnd),
                    as_of="19.06.2023",
                )
            )
        elif kind == 2:
            out.append(
                row(
                    name=f"RQ{i}",
                    dul_type="14",
                    dul_series=f"{rnd.randrange(100):02d}{rnd.randrange(100):02d}",
                    dul_number=f"{i:06d}",
                )
            )
        elif kind == 3:
            out.append(row(name=f"RQ{i}", dpfs_type="C", dpfs_series="46-23", dpfs_number=f"{i:06d}"))
        else:
            out.append(row(name=f"RQ{i}", dpfs_type="B", vs_number=f"{i:09d}"))
    return out
