"""The group answer as .xlsx: the own streaming writer (services/gateway/files/xlsx.py) against XlsxWriter in its
constant_memory mode, on the same synthetic export rows, each in a fresh process (time and peak RSS side by side).

The own writer is kept while XlsxWriter needs more than 1.5x its time or memory (docs/decisions.md).

    .venv/bin/python bench/xlsx.py [--rows 100000] [--rounds 3] [--quick]
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.goals import report  # noqa: E402
from shared import export  # noqa: E402

LIMIT = 1.5  # XlsxWriter replaces the own writer within this factor of its time and memory


def rows(n, seed=7):
    """Export rows as the group export gives them (26 text cells; obviously synthetic values)."""
    rnd = random.Random(seed)
    for number in range(n):
        yield [
            str(number + 2),
            "Проверка списка",
            "01.12.2026 10:00",
            "Получен",
            f"50{rnd.randrange(10**14):014d}",
            "01.01.2020",
            "",
            "Полис единого образца",
            "Действующий",
            "46000",
            'ООО "СТРАХОВАЯ ТЕСТ"',
            "1027700000000",
            "50001",
            "Активно",
            "509901",
            'ГБУЗ МО "ДЕМОНСТРАЦИОННАЯ ПОЛИКЛИНИКА"',
            "01.01.2021",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "01.12.2026 10:01",
        ]


def write_own(out, n):
    from services.gateway.files import xlsx

    xlsx.write(out, export.HEADER, rows(n), "Ответ")


def write_library(out, n):
    import xlsxwriter

    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = book.add_worksheet("Ответ")
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, export.HEADER, book.add_format({"bold": True}))
    for r, cells in enumerate(rows(n), start=1):
        for c, value in enumerate(cells):
            if value:
                sheet.write_string(r, c, value)
    book.close()


def one(writer, n):
    """Run one writer in this process -> {"seconds", "peak_mb", "bytes"}."""
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        (write_own if writer == "own" else write_library)(out, n)
        seconds = time.perf_counter() - started
        size = out.seek(0, 2)
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    return {"seconds": seconds, "peak_mb": peak, "bytes": size}


def measure(writer, n):
    done = subprocess.run(
        [sys.executable, __file__, "--one", writer, "--rows", str(n)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="2,000 rows, one round: the code path, not a measurement")
    ap.add_argument("--one", choices=["own", "library"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.rows)))
        return
    if args.quick:
        args.rows, args.rounds = 2000, 1
    results = {"own": [], "library": []}
    for _ in range(args.rounds):  # interleaved, so drift of the machine hits both alike
        for writer in results:
            results[writer].append(measure(writer, args.rows))
    med = {
        w: {k: statistics.median(r[k] for r in rs) for k in ("seconds", "peak_mb", "bytes")}
        for w, rs in results.items()
    }
    print(f"{args.rows:,} export rows x {len(export.HEADER)} columns, medians of {args.rounds} interleaved rounds")
    print(f"{'writer':<28}{'seconds':>9}{'peak RSS MB':>13}{'file MB':>9}")
    for writer, title in (("own", "own (services/gateway/files/xlsx)"), ("library", "XlsxWriter constant_memory")):
        m = med[writer]
        print(f"{title:<28}{m['seconds']:>9.2f}{m['peak_mb']:>13.1f}{m['bytes'] / 1e6:>9.1f}")
    time_ratio = med["library"]["seconds"] / med["own"]["seconds"]
    memory_ratio = med["library"]["peak_mb"] / max(med["own"]["peak_mb"], 0.1)
    print(f"XlsxWriter / own: time {time_ratio:.2f}x, memory {memory_ratio:.2f}x")
    keep = time_ratio > LIMIT or memory_ratio > LIMIT
    report(
        [
            (
                f"own writer kept only while XlsxWriter needs > {LIMIT}x its time or memory "
                f"(time {time_ratio:.2f}x, memory {memory_ratio:.2f}x)",
                keep,
            )
        ],
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
