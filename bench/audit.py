"""«Who looked up this person last month» (#23): the audit trail's search by a person's identifier.

Run: .venv/bin/python bench/audit.py [--requests 1000000] [--rounds 30] [--quick]

A database of its own gets --requests synthetic requests spread over the last 90 days (random 16-digit ЕНП, a third
also with a СНИЛС; 50 organisations, 200 users), one person asked 5 times among them. The query the audit page runs
(services.journal.audit_trail.trail with the person and last month's period) is timed --rounds times by ЕНП and by
СНИЛС, side by side in one run with the same SQL with index scans turned off (what it would cost without the
expression indexes of migration 0011_wt23). Prints p50/p95 of each and their ratio.
Goals: p95 by ЕНП and by СНИЛС <= 200 ms at 1,000,000 requests; the indexes make it >= 10x faster.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import text  # noqa: E402

from bench.goals import report  # noqa: E402
from bench.resources import Resources  # noqa: E402
from services.journal import audit_trail  # noqa: E402
from shared import clock  # noqa: E402

GOAL_P95_MS = 200
GOAL_RATIO = 10
PERSON = {"enp": "5099999999999990", "snils": "11223344595"}

_SEED = text(
    "INSERT INTO requests (organization_id, user_id, name, params, status, created_at) "
    "SELECT 1, 1, 'бенч', jsonb_build_object('enp', lpad((abs(hashtext(g::text)) % 10000000000000000)::text, 16, '5'), "
    "'snils', CASE WHEN g % 3 = 0 THEN lpad((abs(hashtext('s' || g)) % 100000000000)::text, 11, '1') END, "
    "'as_of', '2026-12-01'), 'answered', now() - make_interval(secs => (g % 7776000)) "
    "FROM generate_series(:lo, :hi) g"
)


def seed(engine, n):
    batch = 100_000
    for lo in range(1, n + 1, batch):
        with engine.begin() as conn:
            conn.execute(_SEED, {"lo": lo, "hi": min(n, lo + batch - 1)})
    with engine.begin() as conn:
        for days in (3, 10, 20, 40, 80):  # five lookups of the person, three of them last month
            conn.execute(
                text(
                    "INSERT INTO requests (organization_id, user_id, name, params, status, created_at) "
                    "VALUES (1, 1, 'искомый', CAST(:p AS jsonb), 'answered', now() - make_interval(days => :d))"
                ),
                {"p": f'{{"enp": "{PERSON["enp"]}", "snils": "{PERSON["snils"]}"}}', "d": days},
            )
        conn.execute(text("ANALYZE requests"))


def timed(engine, person, indexes, rounds):
    today = clock.today()
    filters = {
        "person": person,
        **audit_trail.moscow_bounds((today - timedelta(days=30)).isoformat(), today.isoformat()),
    }
    times, found = [], 0
    for _ in range(rounds):
        with engine.begin() as conn:
            if not indexes:
                conn.execute(text("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off"))
            started = time.perf_counter()
            found = len(audit_trail.trail(conn, filters, 1, 50)["rows"])
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--quick", action="store_true", help="20,000 requests, 3 rounds: the code path, not a measurement")
    args = ap.parse_args()
    if args.quick:
        args.requests, args.rounds = 20_000, 3
    goals = []
    with Resources() as res:
        engine = res.engine(res.database())
        started = time.perf_counter()
        seed(engine, args.requests)
        print(f"{args.requests:,} requests over 90 days seeded in {time.perf_counter() - started:.0f} s")
        for kind in ("enp", "snils"):
            p50, p95, found = timed(engine, PERSON[kind], True, args.rounds)
            s50, s95, slow_found = timed(engine, PERSON[kind], False, max(1, args.rounds // 5))
            assert found == slow_found == 3, (found, slow_found)  # the same answer either way: last month's three
            print(
                f"by {kind}: p50 {p50:.1f} ms, p95 {p95:.1f} ms with the indexes; without: p50 {s50:.1f} ms, "
                f"p95 {s95:.1f} ms; ratio {s95 / p95:.0f}x"
            )
            goals.append((f"p95 by {kind} <= {GOAL_P95_MS} ms", p95 <= GOAL_P95_MS))
            goals.append((f"by {kind} >= {GOAL_RATIO}x faster than without the indexes", s95 / p95 >= GOAL_RATIO))
    report(goals, quick=args.quick)


if __name__ == "__main__":
    main()
