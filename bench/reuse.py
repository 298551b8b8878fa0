"""Reuse of fresh answers (#22): how many ФЕРЗЛ calls a realistic day of one МО saves.

Run: .venv/bin/python bench/reuse.py [--requests 3000] [--repeats 0.2] [--same-visit 0.5] [--window 60] [--quick]

One working day (8 hours) of individual requests of one organisation is replayed minute by minute through the
journal's own code (services.journal.store.create_request on a database of its own), twice side by side in one run:
an organisation with reuse (ANSWER_REUSE_MINUTES = --window) and one without (0). A request that stays «Отправлен»
is a ФЕРЗЛ call: it is answered at once (5 % of the persons are «not found», stored as errors). After each minute
every stored answer is moved one minute into the past, so the window is judged on the day's clock, not the
bench's. The day: arrivals uniform over the 8 hours; a share --repeats of the requests asks again for a person
already asked today — of those, --same-visit are the same visit (another desk checks the same patient, delay
exponential with a 15-minute mean), the rest any earlier request of the day (delay uniform over the elapsed day).
Prints the calls with and without reuse, their ratio, and where the repeats that still went to ФЕРЗЛ came from.
Goal: at 20 % repeats, reuse saves >= 10 % of the ФЕРЗЛ calls.
"""

import argparse
import bisect
import os
import random
import sys
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import text  # noqa: E402

from bench.goals import report  # noqa: E402
from bench.resources import Resources  # noqa: E402
from services.journal import directory as D  # noqa: E402
from services.journal import store as S  # noqa: E402
from shared.checksums import luhn_digit  # noqa: E402
from shared.domain import Answer, Outcome, Policy  # noqa: E402
from shared.params import FIELDS  # noqa: E402

DAY_MINUTES = 480
NOT_FOUND_SHARE = 0.05
VISIT_MEAN_MINUTES = 15
GOAL_SAVED = 0.10


def synthetic_enp(rnd):
    body = f"50{rnd.randrange(10**13):013d}"
    return body + luhn_digit(body)


def day_of_requests(rnd, n, repeats, same_visit):
    """[(minute, enp, repeat kind or None)] sorted by minute; kinds: 'visit', 'day'."""
    minutes = sorted(rnd.uniform(0, DAY_MINUTES) for _ in range(n))
    events, seen_at, seen_enp = [], [], []
    for minute in minutes:
        kind = None
        if seen_enp and rnd.random() < repeats:
            if rnd.random() < same_visit:
                kind = "visit"
                target = minute - rnd.expovariate(1 / VISIT_MEAN_MINUTES)
                i = max(0, bisect.bisect_right(seen_at, target) - 1)  # the request of that moment of the day
            else:
                kind, i = "day", rnd.randrange(len(seen_enp))
            enp = seen_enp[i]
        else:
            enp = synthetic_enp(rnd)
        events.append((minute, enp, kind))
        seen_at.append(minute)
        seen_enp.append(enp)
    return events


def params(enp):
    return {f: None for f in FIELDS} | {"name": "день", "enp": enp, "as_of": "2026-12-01"}


def answer_of(enp):
    policy = Policy("П", None, None, enp, "1", "2020-01-01", None, "46000", "СМО ТЕСТ", "1025000000000", "50001")
    return Answer(None, policy, ())


def replay(engine, events, window, not_found):
    """The day through the journal's code for two organisations -> {window: {calls, by kind}}."""
    with engine.begin() as conn:
        orgs = {}
        for minutes in (window, 0):
            org = D.add_organization(conn, f"БЕНЧ МО (окно {minutes} мин)", "mo")
            orgs[minutes] = S.Identity({"organization_id": org, "user_id": D.add_user(conn, org, "ТЕСТОВ", "БЕНЧ")})
    result = {m: {"calls": 0, "visit": 0, "day": 0, "not_found": 0} for m in orgs}
    pending = list(events)
    for minute in range(DAY_MINUTES + 1):
        with engine.begin() as conn:
            while pending and pending[0][0] < minute + 1:
                _, enp, kind = pending.pop(0)
                for minutes, identity in orgs.items():
                    created = S.create_request(conn, identity, params(enp), reuse_minutes=minutes)
                    if created["status"] != "sent":
                        continue
                    tally = result[minutes]
                    tally["calls"] += 1
                    if kind:
                        tally["not_found" if enp in not_found else kind] += 1
                    at = datetime.now(UTC).isoformat()
                    outcome = (
                        Outcome.failed(created["id"], "409", "Персона не найдена", at)
                        if enp in not_found
                        else Outcome.answered(created["id"], answer_of(enp), at)
                    )
                    S.store_outcomes(conn, [outcome])
            conn.execute(  # a minute of the day passes: only answers still near the window matter
                text(
                    "UPDATE requests SET answered_at = answered_at - interval '1 minute' "
                    "WHERE answered_at > now() - make_interval(mins => :m)"
                ),
                {"m": window + 2},
            )
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--repeats", type=float, default=0.2)
    ap.add_argument("--same-visit", type=float, default=0.5)
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--quick", action="store_true", help="300 requests: the code path, not a measurement")
    args = ap.parse_args()
    if args.quick:
        args.requests = 300
    rnd = random.Random(args.seed)
    events = day_of_requests(rnd, args.requests, args.repeats, args.same_visit)
    persons = sorted({e for _, e, _ in events})
    not_found = set(rnd.sample(persons, int(len(persons) * NOT_FOUND_SHARE)))
    with Resources() as res:
        engine = res.engine(res.database())
        result = replay(engine, events, args.window, not_found)
    n = len(events)
    repeats = {k: sum(1 for e in events if e[2] == k) for k in ("visit", "day")}
    with_reuse, without = result[args.window]["calls"], result[0]["calls"]
    saved = 1 - with_reuse / without
    print(
        f"{n:,} requests in {DAY_MINUTES // 60} h; repeats {sum(repeats.values()):,} "
        f"({sum(repeats.values()) / n:.1%}: same visit {repeats['visit']:,}, earlier in the day {repeats['day']:,}); "
        f"window {args.window} min; not found {NOT_FOUND_SHARE:.0%} of persons"
    )
    print(f"ФЕРЗЛ calls: without reuse {without:,}, with reuse {with_reuse:,}; ratio {with_reuse / without:.3f}")
    print(f"saved {without - with_reuse:,} calls = {saved:.1%} of the day's calls")
    r = result[args.window]
    print(
        "repeats that still asked ФЕРЗЛ: "
        f"same visit {r['visit']:,} of {repeats['visit']:,}, earlier in the day {r['day']:,} of {repeats['day']:,} "
        f"(older than the window), of a «not found» person {r['not_found']:,}"
    )
    report(
        [(f"at {args.repeats:.0%} repeats reuse saves >= {GOAL_SAVED:.0%} of the ФЕРЗЛ calls", saved >= GOAL_SAVED)],
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
