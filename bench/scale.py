"""Horizontal scale: ФЕРЗЛ lookups per second with 1 bridge and 1 journal, then with 3 bridges and 2 journals, at
emulator latency 200 ms and the same FERZL_CONCURRENCY in every bridge process (20; --concurrency); then a group of 100,000 rows with
one copy of each service killed -9 halfway.

Starts the emulator and the services as real processes on a fresh RabbitMQ vhost and database. Throughput: `--calls`
individual requests by ЕНП committed at once (the journal's outbox), timed from the commit to the last answer stored
(PostgreSQL's clock), in each setup in turn, ROUNDS times interleaved (the machine is shared). The group: 2 journals,
3 bridges, 2 flk, 2 gateways, 2 certmail handlers at emulator latency 0 ms; once a quarter of the rows is answered
one journal, one bridge, one flk, one gateway and one certmail process are killed -9 (not restarted); the rest
finish the group. Lost = rows never answered; duplicated = rows with more than one final history event.
Synthetic people of the emulator's register only.

Goals (issue #21 §2): 3 bridges / 1 bridge >= 2.7; the group 0 lost and 0 duplicated.

    .venv/bin/python bench/scale.py [--calls 6000] [--rows 100000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from shared.quiet import quiet_eventlet  # noqa: E402

quiet_eventlet()
import requests  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench import sandbox  # noqa: E402
from bench.bridge import insert_individual  # noqa: E402
from bench.goals import report  # noqa: E402
from bench.resources import Resources  # noqa: E402
from services.ferzl_emulator.register import Register  # noqa: E402
from services.journal import groups, store  # noqa: E402
from services.supervisor import copy_name, wait_http  # noqa: E402
from shared import config  # noqa: E402
from shared import params as P  # noqa: E402
from shared.messages import WORK_QUEUE  # noqa: E402
from shared.queues import declared  # noqa: E402

# FERZL_CONCURRENCY of every bridge process: 20 by default, so that 3 bridges ask for 300 lookups/s, which the whole
# pipeline on a 2-CPU machine can carry; with 50 (750/s asked) the machine, not the bridges, sets the pace
CONCURRENCY = 20
LATENCY_MS = 200
GOAL_RATIO = 2.7
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
QUICK = {"calls": 300, "rows": 2000, "rounds": 1}
ME = store.Identity(user_id=1, organization_id=1)
SEED, SIZE = config.Settings.emulator_seed, config.Settings.emulator_size
ONE = {"journal": 1, "ferzl_bridge": 1}
MANY = {"journal": 2, "ferzl_bridge": 3}
GROUP_SETUP = {"journal": 2, "ferzl_bridge": 3, "flk": 2, "gateway": 2, "certmail": 2}


class Stack:
    """The services of one run; copies started and stopped by name (services.supervisor.copy_name)."""

    def __init__(self, sup, env):
        self.sup, self.env, self.running = sup, env, {}

    def scale(self, counts, wait=True):
        for name, count in counts.items():
            have = self.running.get(name, 0)
            for n in range(have + 1, count + 1):
                own = {"WEB_ADDRESS": f"127.0.0.1:{sandbox.free_port()}"} if name == "gateway" else {}
                self.sup.start(copy_name(name, n), own)
            for n in range(count + 1, have + 1):
                self.stop(copy_name(name, n))
            self.running[name] = count
        if wait:
            bridges = counts.get("ferzl_bridge", self.running.get("ferzl_bridge", 0))
            sandbox.wait_for(
                lambda: declared(self.env["AMQP_URI"], [WORK_QUEUE])[WORK_QUEUE][1] == bridges,
                90,
                message=f"{bridges} bridge processes on the work queue",
            )
            time.sleep(3)  # the journal counts the bridges every 5 s (its automatic dispatch window)

    def stop(self, name, sig=signal.SIGTERM):
        proc = self.sup.procs.pop(name)
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)


def last_answer(engine, where, args, timeout):
    """When no request of `where` waits any more: the time of the last final history event."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            waiting = conn.execute(
                text(f"SELECT EXISTS (SELECT FROM requests r WHERE status = 'sent' AND {where})"), args
            ).scalar_one()
            if not waiting:
                return float(
                    conn.execute(
                        text(
                            "SELECT extract(epoch FROM max(h.at)) FROM request_history h JOIN requests r "
                            f"ON r.id = h.request_id WHERE h.event <> 'created' AND {where}"
                        ),
                        args,
                    ).scalar_one()
                )
        time.sleep(0.5)
    raise RuntimeError(f"not done within {timeout} s")


def throughput(engine, persons, name):
    started = insert_individual(engine, name, persons)
    return len(persons) / (last_answer(engine, "r.name = :n", {"n": name}, 900) - started)


def group_with_kills(stack, engine, rows, register, out):
    columns = ["line", *P.FIELDS]
    cells = [[n + 1, *[register.person(n % SIZE).enp if f == "enp" else None for f in P.FIELDS]] for n in range(rows)]
    with engine.begin() as conn:
        gid = groups.create_group(conn, ME, "Масштаб", "scale.csv", columns, cells)["id"]

    def answered():
        with engine.connect() as conn:
            return conn.execute(text("SELECT answered + failed FROM groups WHERE id = :g"), {"g": gid}).scalar_one()

    sandbox.wait_for(lambda: answered() >= rows // 4, 900, interval=0.5, message="a quarter of the group")
    at = answered()
    killed = [copy_name(name, 2) for name in GROUP_SETUP]
    for name in killed:
        stack.stop(name, signal.SIGKILL)
    print(f"  killed -9 at {at:,} of {rows:,} rows answered: {', '.join(killed)}", file=out, flush=True)
    last_answer(engine, "r.group_id = :g", {"g": gid}, 1800)
    with engine.connect() as conn:
        finals = conn.execute(
            text(
                "SELECT r.id, count(h.id) FROM requests r LEFT JOIN request_history h ON h.request_id = r.id "
                "AND h.event IN ('answered', 'error') WHERE r.group_id = :g GROUP BY r.id"
            ),
            {"g": gid},
        ).all()
        counters = conn.execute(text("SELECT answered, failed, total FROM groups WHERE id = :g"), {"g": gid}).one()
    lost = sum(1 for _, n in finals if n == 0) + (rows - len(finals))
    duplicated = sum(1 for _, n in finals if n > 1)
    return at, lost, duplicated, counters


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=6000, help="individual requests a throughput round")
    ap.add_argument("--rows", type=int, default=100_000, help="rows of the group with kills")
    ap.add_argument("--concurrency", type=int, default=CONCURRENCY, help="FERZL_CONCURRENCY of every bridge")
    ap.add_argument("--quick", action="store_true", help="small sizes, one round: the code paths only")
    args = ap.parse_args()
    rounds = ROUNDS
    if args.quick:
        args.calls, args.rows, rounds = QUICK["calls"], QUICK["rows"], QUICK["rounds"]

    with Resources() as res:
        amqp_uri = res.vhost()
        url = res.database()
        engine = res.engine(url)
        emu = sandbox.free_port()
        env = sandbox.stack_env(
            amqp_uri, url, emu, args.concurrency, SMTP_ADDRESS=f"127.0.0.1:{sandbox.free_port()}", METRICS_COPIES="0"
        )
        sup = res.services(env, "bench-scale.log")
        emulator = f"http://127.0.0.1:{emu}"
        sup.start("ferzl_emulator")
        if not wait_http(f"{emulator}/emulator/health", 60):
            sys.exit("emulator did not start; see test-output/bench-scale.log")
        stack = Stack(sup, env)
        register = Register(SEED, SIZE)
        offset = [0]

        def persons(n):
            chosen = [register.person((offset[0] + i) % SIZE) for i in range(n)]
            offset[0] += n
            return chosen

        print(
            f"scale-out benchmark: emulator {LATENCY_MS} ms, FERZL_CONCURRENCY {args.concurrency} per bridge, "
            f"{args.calls:,} individual requests a round, {os.cpu_count()} CPUs\n",
            flush=True,
        )
        requests.post(f"{emulator}/emulator/admin", json={"latency_ms": LATENCY_MS}, timeout=10).raise_for_status()
        rates = {"one": [], "many": []}
        for n in range(rounds):
            for key, counts in (("one", ONE), ("many", MANY)):
                stack.scale(counts)
                throughput(engine, persons(min(args.calls, 500)), f"warm {key} {n}")
                rates[key].append(throughput(engine, persons(args.calls), f"{key} {n}"))
                print(f"  round {n + 1}: {key:4} ({counts}) {rates[key][-1]:7.1f} requests/s", flush=True)
        one, many = statistics.median(rates["one"]), statistics.median(rates["many"])
        ratio = many / one
        print(f"\n1 bridge + 1 journal: {one:.1f}/s; 3 bridges + 2 journals: {many:.1f}/s; ratio {ratio:.2f}")
        ideal = args.concurrency * 1000 / LATENCY_MS
        print(f"(at most {args.concurrency} calls in flight per bridge / {LATENCY_MS} ms = {ideal:.0f}/s a bridge)\n")

        requests.post(f"{emulator}/emulator/admin", json={"latency_ms": 0}, timeout=10).raise_for_status()
        stack.scale(GROUP_SETUP)
        started = time.monotonic()
        print(f"group of {args.rows:,} rows with {GROUP_SETUP}:", flush=True)
        at, lost, duplicated, counters = group_with_kills(stack, engine, args.rows, register, sys.stdout)
        print(
            f"  finished in {time.monotonic() - started:.0f} s: answered {counters[0]:,}, failed {counters[1]:,} "
            f"of {counters[2]:,}; lost {lost}, duplicated {duplicated}",
            flush=True,
        )
        report(
            [
                (f"3 bridges + 2 journals / 1 + 1 >= {GOAL_RATIO} at {LATENCY_MS} ms", ratio >= GOAL_RATIO),
                (f"{args.rows:,} rows with one of each service killed -9: 0 lost", lost == 0),
                ("0 duplicated", duplicated == 0),
            ],
            quick=args.quick,
        )


if __name__ == "__main__":
    main()
