"""ФЛК core benchmark (no RPC): check_group on a valid 100,000-row file generated in memory.

Run: .venv/bin/python bench/flk_core.py [rows] [--quick]
Prints rows/s of check_group and its ratio to a bare csv.reader pass over the same bytes, for four kinds of file.
The rows are synthetic (ТЕСТОВ…), with valid checksums, in a realistic mix of identifying groups.
Goal: every kind of 100,000-row file checked in <= 3 s (>= 33,333 rows/s): bench/group.py's goal for the ФЛК of an
upload, which the RPC only adds to.
"""

import argparse
import csv
import io
import os
import random
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.goals import report  # noqa: E402
from services.flk.group import COLUMNS, check_group  # noqa: E402
from shared.checksums import luhn_digit, snils_control  # noqa: E402

TODAY = date(2025, 6, 30)
SURNAMES = ("ТЕСТОВ", "ПРИМЕРОВ", "ОБРАЗЦОВ", "ВЫМЫШЛЕНКО", "ШАБЛОНОВ")
FEMALE = ("ТЕСТОВА", "ПРИМЕРОВА", "ОБРАЗЦОВА", "ВЫМЫШЛЕНКО", "ШАБЛОНОВА")
GOAL_ROWS, GOAL_SECONDS = 100_000, 3.0  # bench/group.py: ФЛК of a 100,000-row upload <= 3 s
GOAL_ROWS_PER_S = GOAL_ROWS / GOAL_SECONDS
QUICK_ROWS = 1_000


def synthetic_row(rnd, i):
    """One valid row; the identifying group rotates: ЕНП, СНИЛС+ФИО, паспорт, полис С, ВС, ОИП."""
    row = [""] * 16
    row[0] = f"RQ{i}"
    row[15] = (TODAY - timedelta(days=rnd.randrange(0, 365))).strftime("%d.%m.%Y")
    kind = i % 6
    if kind == 0:
        body = f"50{rnd.randrange(10**13):013d}"
        row[2] = body + luhn_digit(body)
    elif kind == 1:
        body = f"{rnd.randrange(2_000_000, 10**9):09d}"
        row[10] = f"{body[:3]}-{body[3:6]}-{body[6:]} {snils_control(body):02d}"
        row[11], row[12], row[13] = rnd.choice(FEMALE), "АННА", "ТЕСТОВНА"
        row[14] = (date(1950, 1, 1) + timedelta(days=rnd.randrange(25000))).strftime("%d.%m.%Y")
    elif kind == 2:
        row[7], row[8] = "14", f"{rnd.randrange(100):02d} {rnd.randrange(100):02d}"
        row[9] = f"{rnd.randrange(10**6):06d}"
        row[11], row[12] = rnd.choice(SURNAMES), "ИВАН"
    elif kind == 3:
        row[3], row[4], row[5] = "С", "46-23", f"{rnd.randrange(10**6):06d}"
    elif kind == 4:
        row[3], row[6] = "В", f"{rnd.randrange(10**9):09d}"
    else:
        row[1] = f"{rnd.randrange(10**12):012d}"
    return row


def full_row(rnd, i):
    """Every field filled: ОИП, ЕНП, полис П, паспорт, СНИЛС, ФИО, both dates (worst case per row)."""
    row = synthetic_row(rnd, 1)  # СНИЛС + ФИО + дата рождения
    body = f"50{rnd.randrange(10**13):013d}"
    row[0], row[1], row[2] = f"RQ{i}", f"{rnd.randrange(10**12):012d}", body + luhn_digit(body)
    row[3], row[5] = "П", row[2]
    row[7], row[8], row[9] = "14", f"{rnd.randrange(10**4):04d}", f"{rnd.randrange(10**6):06d}"
    return row


def make_file(rows, delimiter=";", seed=1, make_row=synthetic_row, quote=False, encoding="utf-8"):
    rnd = random.Random(seed)
    lines = [delimiter.join(COLUMNS)]
    for i in range(rows):
        values = make_row(rnd, i)
        lines.append(delimiter.join(f'"{v}"' for v in values) if quote else delimiter.join(values))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def measure(content, rows, encoding="utf-8", repeat=3):
    """Best of `repeat`: (check_group seconds, csv.reader seconds over the same bytes)."""
    best_flk = best_csv = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = check_group(content, "bench.csv", today=TODAY)
        best_flk = min(best_flk, time.perf_counter() - start)
        assert result["ok"] and len(result["rows"]) == rows, result["errors"][:3]
        start = time.perf_counter()
        n = sum(1 for _ in csv.reader(io.StringIO(content.decode(encoding)), delimiter=";"))
        best_csv = min(best_csv, time.perf_counter() - start)
        assert n == rows + 1
    return best_flk, best_csv


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int, nargs="?", default=100_000)
    ap.add_argument(
        "--quick", action="store_true", help=f"{QUICK_ROWS:,} rows, one round: the code paths, not a measurement"
    )
    args = ap.parse_args()
    rows, repeat = (QUICK_ROWS, 1) if args.quick else (args.rows, 3)
    cases = [
        ("mixed rows, UTF-8", make_file(rows), "utf-8"),
        ("mixed rows, Windows-1251", make_file(rows, encoding="cp1251"), "cp1251"),
        ("every value quoted", make_file(rows, quote=True), "utf-8"),
        ("every field filled", make_file(rows, make_row=full_row), "utf-8"),
    ]
    print(f"rows per file: {rows}, best of {repeat}")
    slowest = float("inf")
    for title, content, encoding in cases:
        flk, bare = measure(content, rows, encoding, repeat)
        slowest = min(slowest, rows / flk)
        print(
            f"{title:26} {len(content) / 1e6:5.1f} MB  check_group {rows / flk:9,.0f} rows/s ({flk:.3f} s)  "
            f"csv.reader {rows / bare:10,.0f} rows/s  ratio {flk / bare:4.1f}x"
        )
    report(
        [
            (
                f"check_group >= {GOAL_ROWS_PER_S:,.0f} rows/s on every kind of file ({GOAL_ROWS:,} rows in "
                f"<= {GOAL_SECONDS:.0f} s, no RPC)",
                slowest >= GOAL_ROWS_PER_S,
            )
        ],
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
