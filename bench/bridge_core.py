"""Where bench/bridge.py's 0 ms ratio goes: the raw client against the bridge's own chunk processing, in one process,
without RabbitMQ, the journal or PostgreSQL's share of the work.

Both sides run here against one emulator process (0 ms latency, 50 calls in flight): *raw* is the bridge's client
called from 50 green threads; *core* is services.ferzl_bridge.work.Bridge.process on chunks of CHUNK_SIZE items, 60
chunks at once as the nameko service takes them (FERZL_CONCURRENCY + 10 workers), each chunk decoded and its
outcomes encoded with kombu's JSON as on the wire, the archive of every exchange packed. The circuit reads its
shared state from a fresh database (as in the service). Rounds alternate; medians and every round are printed with
CPU per request of this process and of the emulator. Goal: core/raw >= 0.9, bench/bridge.py's ratio goal for
the whole pipeline, of which this is a part (judged as there: undecided when the machine's drift straddles it).

    .venv/bin/python bench/bridge_core.py [--calls 12000] [--rounds 3] [--quick]
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from shared.quiet import quiet_eventlet  # noqa: E402

quiet_eventlet()  # before eventlet is imported
import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import replace  # noqa: E402

from kombu.utils import json as wire  # noqa: E402

from bench import sandbox  # noqa: E402
from bench.bridge import cpu_seconds, ratio_verdict  # noqa: E402
from bench.goals import report  # noqa: E402
from bench.resources import Resources  # noqa: E402
from services.ferzl_bridge import state  # noqa: E402
from services.ferzl_bridge.circuit import Circuit  # noqa: E402
from services.ferzl_bridge.fast import FastClient  # noqa: E402
from services.ferzl_bridge.ratelimit import Limiter, SharedBucket  # noqa: E402
from services.ferzl_bridge.retry import Tiers  # noqa: E402
from services.ferzl_bridge.work import Bridge  # noqa: E402
from services.ferzl_emulator.register import Register  # noqa: E402
from services.supervisor import wait_http  # noqa: E402
from shared import config  # noqa: E402
from shared import params as P  # noqa: E402
from shared.messages import load_work_chunk  # noqa: E402

CONCURRENCY, WORKERS = 50, 60
SEED, SIZE = config.Settings.emulator_seed, config.Settings.emulator_size  # the default register
GOAL_RATIO = 0.9
QUICK_CALLS = 400  # two chunks of 200


def own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=12000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_CALLS} calls, one round: the code paths, not a measurement"
    )
    args = parser.parse_args()
    if args.quick:
        args.calls, args.rounds = QUICK_CALLS, 1
    with Resources() as res:
        run(res, args)


def run(res, args):
    chunk_size = res.settings.chunk_size
    url = res.database(seed=False)
    port = sandbox.free_port()
    env = {
        "EMULATOR_ADDRESS": f"127.0.0.1:{port}",
        "EMULATOR_SEED": str(SEED),
        "EMULATOR_SIZE": str(SIZE),
        "LOG_LEVEL": "WARNING",
        "FERZL_URL": "",
    }
    sup = res.services(env, "bench-bridge-core.log")
    loaded = config.load({**os.environ, **env})
    register = Register(SEED, SIZE)
    engine = res.engine(url, pool_size=4, max_overflow=4, pool_pre_ping=True)

    blank = {f: None for f in P.FIELDS}
    prepared = [{**blank, "name": "bench", "enp": register.person((i * 7919) % SIZE).enp} for i in range(args.calls)]

    def params(i):  # made before the clock runs: the register's synthetic persons cost more than a call
        return prepared[i % len(prepared)]

    def client():
        return FastClient(loaded.effective_ferzl_url, loaded.ferzl_token, pool_size=CONCURRENCY)

    emulator = sup.start("ferzl_emulator")
    assert wait_http(f"http://127.0.0.1:{port}/emulator/health", 60, emulator), "emulator did not start"
    raw_client = client()
    for i in range(CONCURRENCY * 2):  # warm up: connections, the register's cache
        raw_client.get_person_data(params(i), str(uuid.uuid4()))

    def measure(run, n):
        cpu0, emu0, started = own_cpu(), cpu_seconds(emulator.pid), time.perf_counter()
        done = run(n)
        seconds = time.perf_counter() - started
        return (done / seconds, (own_cpu() - cpu0) * 1000 / done, (cpu_seconds(emulator.pid) - emu0) * 1000 / done)

    def raw(n):
        pool = eventlet.GreenPool(CONCURRENCY)
        return sum(1 for _ in pool.imap(lambda i: raw_client.get_person_data(params(i), str(uuid.uuid4())), range(n)))

    def core(n):
        bridge = Bridge(
            client(),
            Limiter(SharedBucket(engine), 0, sleep=eventlet.sleep),
            Circuit(state.PgCircuitStore(engine)),
            Tiers(),
            settings=replace(config.Settings(), ferzl_concurrency=CONCURRENCY),
        )

        def chunk(k):
            items = [
                {
                    "request_id": k * chunk_size + j,
                    "external_id": str(uuid.uuid4()),
                    "params": params(k * chunk_size + j),
                    "attempt": 0,
                    "first_try_at": None,
                    "group_id": None,
                }
                for j in range(chunk_size)
            ]
            body = wire.loads(wire.dumps({"chunk_id": str(uuid.uuid4()), "items": items}))
            result = bridge.process(load_work_chunk(body)["items"])
            wire.dumps(
                {
                    "chunk_id": body["chunk_id"],
                    "outcomes": result.outcomes,
                    "archive": result.archive,
                    "held": result.held,
                }
            )
            return sum(1 for o in result.outcomes if o["status"] == "answered")

        return sum(eventlet.GreenPool(WORKERS).imap(chunk, range(n // chunk_size)))

    print(
        f"bridge core benchmark: {args.calls} calls a round, concurrency {CONCURRENCY}, chunks of {chunk_size}, "
        f"{WORKERS} chunks at once, emulator 0 ms, {os.cpu_count()} CPUs\n",
        flush=True,
    )
    samples = {"raw": [], "core": []}
    for _ in range(args.rounds):
        for name, run in (("raw", raw), ("core", core)):
            samples[name].append(measure(run, args.calls))
    print(f"{'':6} {'req/s (median)':>15} {'every round':>22} {'CPU ms/req here':>16} {'emulator':>9}")
    for name, rows in samples.items():
        rates = [r[0] for r in rows]
        print(
            f"{name:6} {statistics.median(rates):15.0f} {' '.join(f'{r:6.0f}' for r in rates):>22} "
            f"{statistics.median(r[1] for r in rows):16.3f} {statistics.median(r[2] for r in rows):9.3f}"
        )
    ratio = statistics.median(r[0] for r in samples["core"]) / statistics.median(r[0] for r in samples["raw"])
    print(
        f"\ncore/raw ratio: {ratio:.2f} (bench/bridge.py's full pipeline adds RabbitMQ, the journal and "
        f"PostgreSQL to the core)"
    )
    # as in bench/bridge.py: "undecided" when the machine's drift puts the rounds on both sides of the goal
    verdict = ratio_verdict([r[0] for r in samples["raw"]], [r[0] for r in samples["core"]], GOAL_RATIO)
    report([(f"core/raw >= {GOAL_RATIO} at 0 ms", verdict)], quick=args.quick)


if __name__ == "__main__":
    main()
