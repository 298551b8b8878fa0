"""ФЕРЗЛ bridge throughput: the raw client against the emulator, the full pipeline at the same concurrency,
their ratio (emulator latency 0 ms and 200 ms), then a 100,000-row ЕНП group through the mass path.

Starts the emulator, journal and ferzl_bridge as real processes on a fresh RabbitMQ vhost and a fresh
database (as the test fixture does). The pipeline is: requests committed to the journal's outbox ->
journal dispatch -> RabbitMQ -> bridge -> emulator -> RabbitMQ -> journal stores the answers (and the
archive of every exchange); the clock runs from the commit to the last answer stored. The raw client is
the bridge's own client class (FERZL_CLIENT, default fast) called from 50 green threads in one process.
Synthetic people of the emulator's register only. Prints CPU per request of every process, the register's
time split (on a CPU / waiting for one / idle) and RSS of every process after warm-up and after each phase.
At 0 ms the goal is judged with the register on a CPU of its own (docs/decisions.md). Finally the 0 ms
pipeline once more with the other client (zeep on every call), for comparison.

Goals: pipeline/raw ratio >= 0.9 (at 0 ms judged with the register on a CPU of its own, the shared-CPU figure for
reference only), >= 200 requests/s with 200 ms latency and 50 in flight, 100,000 rows through the mass path < 120 s.

    .venv/bin/python bench/bridge.py [--calls 12000] [--slow-calls 3000] [--mass-rows 100000] [--no-compare]
                                     [--env FERZL_ARCHIVE_DAYS=0 ...] [--quick]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import requests  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench import sandbox  # noqa: E402
from bench.goals import report  # noqa: E402
from bench.resources import Resources  # noqa: E402
from services.ferzl_emulator.register import Register  # noqa: E402
from services.journal import groups, store  # noqa: E402
from services.supervisor import wait_http  # noqa: E402
from shared import config  # noqa: E402
from shared import params as P  # noqa: E402

CONCURRENCY = 50
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARM_UP = {"requests": 12000, "group": 5000, "compare": 1000}
QUICK = {
    "calls": 400,
    "slow_calls": 200,
    "mass_rows": 2000,
    "rounds": 1,
    "warm_up": {"requests": 400, "group": 500, "compare": 200},
}
GOALS = {"ratio": 0.9, "rate_200ms": 200.0, "mass_seconds": 120.0}
ME = store.Identity(user_id=1, organization_id=1)
ISOLATED = "register on a CPU of its own"
SEED, SIZE = config.Settings.emulator_seed, config.Settings.emulator_size  # the default register

RAW = """
import warnings; warnings.filterwarnings("ignore")
import eventlet; eventlet.monkey_patch()
import json, resource, sys, time, uuid
sys.path.insert(0, sys.argv[1])
from bench.bridge import register_time
from services.ferzl_bridge.client import FerzlClient
from services.ferzl_bridge.fast import FastClient
from services.ferzl_emulator.register import Register
url, token, calls, concurrency, kind = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
register_pid = int(sys.argv[7])
register = Register()  # the default register (SEED, SIZE)
keys = ("name", "oip", "enp", "dpfs_type", "dpfs_series", "dpfs_number", "vs_number", "dul_type", "dul_series",
        "dul_number", "snils", "surname", "first_name", "patronymic", "birth_date", "as_of")
params = [dict({k: None for k in keys}, enp=register.person((i * 7919) % register.size).enp) for i in range(calls)]
client = (FerzlClient if kind == "zeep" else FastClient)(url, token, pool_size=concurrency)
for p in params[:concurrency]:
    client.get_person_data(p, str(uuid.uuid4()))  # warm up: connections, the register's cache
pool = eventlet.GreenPool(concurrency)
usage = resource.getrusage(resource.RUSAGE_SELF)
register_before = register_time(register_pid)
started = time.perf_counter()
for _ in pool.imap(lambda p: client.get_person_data(p, str(uuid.uuid4())), params):
    pass
seconds = time.perf_counter() - started
register_after = register_time(register_pid)
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
print(json.dumps({"calls": calls, "seconds": seconds, "rate": calls / seconds, "cpu_ms": cpu * 1000 / calls,
                  "register": [register_before, register_after]}))
"""


NOISE = 0.15  # rounds of one side spreading more than this (slowest to fastest) on a machine that drifts


def ratio_verdict(raws, rates, goal):
    """'met' or 'NOT met' by the medians — or 'undecided' when the rounds' own ratios (each pipeline round over the
    raw round just before it) fall on both sides of the goal and the rounds of either side spread more than
    NOISE: then the machine's drift, not the code, decides the median."""
    per_round = [rate / raw for raw, rate in zip(raws, rates)]
    spread = max(max(raws) / min(raws), max(rates) / min(rates)) - 1
    if spread > NOISE and min(per_round) < goal <= max(per_round):
        return f"undecided (rounds {min(per_round):.2f}–{max(per_round):.2f}, spread {spread:.0%})"
    return "met" if statistics.median(rates) / statistics.median(raws) >= goal else "NOT met"


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid):
    """User + system CPU of a process (and its waited-for children), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def command_cpu(names=("postgres", "beam.smp")):
    """CPU seconds of every live process by command name: PostgreSQL (all its backends) and RabbitMQ."""
    totals = dict.fromkeys(names, 0.0)
    for pid, name in processes(names):
        try:
            with open(f"/proc/{pid}/stat") as f:
                rest = f.read().rpartition(")")[2]
        except OSError:
            continue
        totals[name] += sum(int(v) for v in rest.split()[11:13]) / os.sysconf("SC_CLK_TCK")
    return {"postgresql" if k == "postgres" else "rabbitmq": v for k, v in totals.items()}


def register_time(pid):
    """(seconds on a CPU, seconds runnable but waiting for a CPU) of all threads of a process (/proc schedstat)."""
    run = wait = 0
    for tid in tasks(pid):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                on_cpu, waiting = f.read().split()[:2]
        except (OSError, ValueError):
            continue
        run, wait = run + int(on_cpu), wait + int(waiting)
    return run / 1e9, wait / 1e9


def register_shares(before, after, seconds):
    """The register's wall time split: on a CPU, waiting for one, idle (nothing to do), as fractions."""
    run, wait = after[0] - before[0], after[1] - before[1]
    return run / seconds, wait / seconds, max(0.0, 1 - (run + wait) / seconds)


class RegisterSampler:
    """register_time every 20 ms with the wall clock, to read it at two instants known only afterwards (the
    pipeline's start and end come from PostgreSQL's clock, which is this machine's)."""

    def __init__(self, pid):
        self.pid, self.samples, self.stop = pid, [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.wait(0.02):
            self.samples.append((time.time(), *register_time(self.pid)))

    def at(self, when):
        """(run, wait) interpolated at wall time `when`."""
        before = max((s for s in self.samples if s[0] <= when), default=self.samples[0])
        after = min((s for s in self.samples if s[0] >= when), default=self.samples[-1])
        if after[0] == before[0]:
            return before[1:]
        f = (when - before[0]) / (after[0] - before[0])
        return tuple(b + f * (a - b) for b, a in zip(before[1:], after[1:]))

    def close(self):
        self.stop.set()
        self.thread.join()


def machine_busy():
    """CPU seconds the whole machine spent not idle (all processes: RabbitMQ, PostgreSQL included)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def tasks(pid):
    """The thread ids of a process (affinity is per thread)."""
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def processes(names):
    """(pid, command name) of every live process with one of these command names."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        if name in names:
            found.append((int(pid), name))
    return found


def isolate_register(register_pid, pipeline_pids):
    """The register (emulator) alone on the last CPU, everything else of the run -- this process (and the raw
    client it starts), the services, PostgreSQL and RabbitMQ -- on the others: as in production, where ФЕРЗЛ
    is a system of its own, the two sides do not take CPU from each other. Returns a function that restores
    every affinity changed, or None when there are fewer than 2 CPUs or no right to change them (needs root)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    plan = [(t, {cpus[-1]}) for t in tasks(register_pid)]
    for pid in [os.getpid(), *pipeline_pids, *(pid for pid, _ in processes(("postgres", "beam.smp")))]:
        plan += [(t, set(cpus[:-1])) for t in tasks(pid)]
    before = []
    try:
        for tid, mask in plan:
            try:
                before.append((tid, os.sched_getaffinity(tid)))
                os.sched_setaffinity(tid, mask)
            except ProcessLookupError:
                continue
    except PermissionError:
        restore(before, set(cpus))
        return None
    return lambda: restore(before, set(cpus))


def restore(before, everything):
    """Affinities back as they were; PostgreSQL backends forked meanwhile (they inherit it) get every CPU."""
    known = {tid for tid, _ in before}
    late = [(t, everything) for pid, _ in processes(("postgres", "beam.smp")) for t in tasks(pid) if t not in known]
    for tid, mask in [*before, *late]:
        try:
            os.sched_setaffinity(tid, mask)
        except (ProcessLookupError, PermissionError):
            continue


def raw_rate(url, token, calls, kind, register_pid):
    out = subprocess.run(
        [sys.executable, "-c", RAW, ROOT, url, token, str(calls), str(CONCURRENCY), kind, str(register_pid)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["rate"], result["cpu_ms"], register_shares(*result["register"], result["seconds"])


def insert_individual(engine, name, persons):
    """Individual requests by ЕНП (the single path), committed at once; returns the commit time."""
    rows = [
        json.dumps({**{f: None for f in P.FIELDS}, "name": name, "enp": p.enp}, ensure_ascii=False) for p in persons
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "WITH r AS (INSERT INTO requests (organization_id, user_id, name, params) "
                "SELECT 1, 1, :name, CAST(p AS jsonb) FROM unnest(CAST(:rows AS text[])) p RETURNING id) "
                "INSERT INTO request_history (request_id, event) SELECT id, 'created' FROM r"
            ),
            {"name": name, "rows": rows},
        )
    return database_now(engine)


def database_now(engine):
    """PostgreSQL's clock (epoch seconds): both ends of a measured interval are read from it."""
    with engine.connect() as conn:
        return float(conn.execute(text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one())


def insert_group(engine, name, persons):
    columns = ["line", *P.FIELDS]
    rows = [[n + 1, *[p.enp if f == "enp" else None for f in P.FIELDS]] for n, p in enumerate(persons)]
    with engine.begin() as conn:
        created = groups.create_group(conn, ME, name, "bench.csv", columns, rows)
    return created["id"], database_now(engine)


def wait_done(engine, where, args, total, timeout):
    """When every request is answered: the time the journal stored the last answer (its history event).

    Polled twice a second, asking only whether one request is still pending: a count walked every pending row
    (7 ms with 12,000), and a poll every 0.1 s cost the database ~5 % of a core -- taken from the pipeline being
    measured (the raw client run has no such poll)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            conn.execute(text("SET LOCAL enable_bitmapscan = off"))  # a plain scan skips entries it found dead
            waiting = conn.execute(
                text(f"SELECT EXISTS (SELECT FROM requests r WHERE status = 'sent' AND {where})"), args
            ).scalar_one()
        if not waiting:
            with engine.connect() as conn:
                end = float(
                    conn.execute(
                        text(
                            "SELECT extract(epoch FROM max(h.at)) FROM request_history h JOIN requests r "
                            f"ON r.id = h.request_id WHERE h.event <> 'created' AND {where}"
                        ),
                        args,
                    ).scalar_one()
                )
                answered = conn.execute(
                    text(f"SELECT count(*) FROM requests r WHERE status = 'answered' AND {where}"), args
                ).scalar_one()
            if answered != total:
                raise RuntimeError(f"{total - answered} of {total} requests did not end «Получен»")
            return end
        time.sleep(0.5)
    raise RuntimeError(f"not done within {timeout} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=12000, help="calls/requests per round at 0 ms latency")
    parser.add_argument("--slow-calls", type=int, default=3000, help="calls/requests per round at 200 ms latency")
    parser.add_argument("--mass-rows", type=int, default=100_000)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra settings for the services, e.g. FERZL_ARCHIVE_DAYS=0",
    )
    parser.add_argument(
        "--no-compare",
        dest="compare",
        action="store_false",
        help="skip the comparison run with the other client (zeep / fast)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="400 calls, 200 at 200 ms, 2,000 mass rows, small warm-ups, one round: the code paths, not a measurement",
    )
    args = parser.parse_args()
    args.rounds, args.warm_up = ROUNDS, WARM_UP
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    with Resources() as res:
        run(res, args)


def run(res, args):
    settings = res.settings
    kind = dict(kv.split("=", 1) for kv in args.env).get("FERZL_CLIENT", settings.ferzl_client)
    amqp_uri = res.vhost()
    url = res.database()
    engine = res.engine(url)
    emu = sandbox.free_port()
    env = sandbox.stack_env(amqp_uri, url, emu, CONCURRENCY, **dict(kv.split("=", 1) for kv in args.env))
    sup = res.services(env, "bench-bridge.log")
    register = Register(SEED, SIZE)
    emulator = f"http://127.0.0.1:{emu}"
    soap_url = config.load({**os.environ, **env}).effective_ferzl_url
    token = config.load({**os.environ, **env}).ferzl_token
    procs = {"ferzl_emulator": sup.start("ferzl_emulator")}
    assert wait_http(f"{emulator}/emulator/health", 60, procs["ferzl_emulator"]), "emulator did not start"
    for name in ("journal", "ferzl_bridge"):
        procs[name] = sup.start(name)
    time.sleep(4)
    print(
        f"ФЕРЗЛ bridge benchmark: client {kind}, concurrency {CONCURRENCY}, CHUNK_SIZE {settings.chunk_size}, "
        f"{os.cpu_count()} CPUs\n",
        flush=True,
    )
    offset = [0]

    def next_persons(n):
        chosen = [register.person((offset[0] + i) % SIZE) for i in range(n)]
        offset[0] += n
        return chosen

    def pipeline(latency, calls, client, setup="shared CPUs"):
        """Raw client and pipeline, interleaved ROUNDS times (the machine is shared): medians and all samples."""
        requests.post(f"{emulator}/emulator/admin", json={"latency_ms": latency}, timeout=10).raise_for_status()
        raws, rates, cpus, client_cpu, shares = [], [], [], [], {"raw": [], "pipeline": []}
        register_pid = procs["ferzl_emulator"].pid
        for n in range(args.rounds):
            rate, cpu_ms, share = raw_rate(soap_url, token, calls, client, register_pid)
            raws.append(rate)
            client_cpu.append(cpu_ms)
            shares["raw"].append(share)
            name = f"pipeline {client} {latency} ms {setup} {n}"
            cpu0 = {k: cpu_seconds(p.pid) for k, p in procs.items()} | command_cpu()
            busy0, sampler = machine_busy(), RegisterSampler(register_pid)
            start = insert_individual(engine, name, next_persons(calls))
            end = wait_done(engine, "r.name = :n", {"n": name}, calls, 900)
            sampler.close()
            shares["pipeline"].append(register_shares(sampler.at(start), sampler.at(end), end - start))
            rates.append(calls / (end - start))
            cpu = {k: (cpu_seconds(p.pid) - cpu0[k]) * 1000 / calls for k, p in procs.items()}
            cpu |= {k: (v - cpu0[k]) * 1000 / calls for k, v in command_cpu().items()}
            cpu["all processes"] = (machine_busy() - busy0) * 1000 / calls
            cpus.append(cpu)
        cpu = {k: statistics.median(c[k] for c in cpus) for k in cpus[0]}
        cpu["(raw client alone)"] = statistics.median(client_cpu)
        register = {side: [statistics.median(v) for v in zip(*rounds)] for side, rounds in shares.items()}
        return client, latency, calls, raws, rates, cpu, setup, register

    def mass_group(rows, name):
        requests.post(f"{emulator}/emulator/admin", json={"latency_ms": 0}, timeout=10).raise_for_status()
        group_id, start = insert_group(engine, name, next_persons(rows))
        return wait_done(engine, "r.group_id = :g", {"g": group_id}, rows, 600) - start

    # warm-up through the whole pipeline, both paths (imports, connections, caches), then the RSS baseline
    # (12,000 requests at once: a full prefetch -- 60 chunks of 200 -- is the bridge's working set)
    warm = args.warm_up
    insert_individual(engine, "warm-up", next_persons(warm["requests"]))
    wait_done(engine, "r.name = :n", {"n": "warm-up"}, warm["requests"], 300)
    mass_group(warm["group"], "warm-up group")
    rss = [("after warm-up", {name: rss_mb(p.pid) for name, p in procs.items()})]
    results = [pipeline(0, args.calls, kind)]
    restore_cpus = isolate_register(procs["ferzl_emulator"].pid, [procs["journal"].pid, procs["ferzl_bridge"].pid])
    if restore_cpus:
        try:
            results.append(pipeline(0, args.calls, kind, ISOLATED))
        finally:
            restore_cpus()
    else:
        print("(the register could not be put on a CPU of its own: fewer than 2 CPUs or not root)\n")
    rss.append(("after 0 ms", {name: rss_mb(p.pid) for name, p in procs.items()}))
    results.append(pipeline(200, args.slow_calls, kind))
    rss.append(("after 200 ms", {name: rss_mb(p.pid) for name, p in procs.items()}))
    counters_before = requests.get(f"{emulator}/emulator/admin", timeout=10).json()["counters"]
    mass_seconds = mass_group(args.mass_rows, "mass bench")
    counters = requests.get(f"{emulator}/emulator/admin", timeout=10).json()["counters"]
    rss.append((f"after {args.mass_rows} mass", {name: rss_mb(p.pid) for name, p in procs.items()}))
    if args.compare:  # the same 0 ms pipeline with zeep on every call, for comparison
        other = "zeep" if kind == "fast" else "fast"
        sup.env["FERZL_CLIENT"] = other
        sup.kill("ferzl_bridge")
        procs["ferzl_bridge"] = sup.start("ferzl_bridge")
        time.sleep(4)
        insert_individual(engine, "warm-up 2", next_persons(warm["compare"]))
        wait_done(engine, "r.name = :n", {"n": "warm-up 2"}, warm["compare"], 120)
        results.append(pipeline(0, args.calls // 2, other))

    print(
        f"medians of {args.rounds} interleaved rounds (all rounds in brackets); {ISOLATED}: the emulator alone on "
        f"the last CPU, the raw client or the whole pipeline (services, PostgreSQL, RabbitMQ) on the others"
    )
    print(f"{'client':>6} {'latency':>8} {'calls':>6} {'raw client/s':>24} {'pipeline req/s':>24} {'ratio':>6}  CPUs")
    for client, latency, calls, raws, rates, _, setup, _ in results:
        raw, rate = statistics.median(raws), statistics.median(rates)
        print(
            f"{client:>6} {latency:>5} ms {calls:>6} {raw:>6.0f} [{' '.join(f'{r:.0f}' for r in raws):>15}]"
            f" {rate:>6.0f} [{' '.join(f'{r:.0f}' for r in rates):>15}] {rate / raw:>6.2f}  {setup}"
        )
    print(
        '\nCPU per request in the pipeline, ms ("all processes": the whole machine, RabbitMQ and PostgreSQL included):'
    )
    for client, latency, _, _, _, cpu, setup, _ in results:
        print(f"  {client} {latency} ms, {setup}: " + ", ".join(f"{n} {v:.2f}" for n, v in cpu.items()))
    print("\nThe register's (emulator's) time while the clock ran: on a CPU / runnable but waiting for a CPU / idle:")
    for client, latency, _, _, _, _, setup, register in results:
        print(
            f"  {client} {latency} ms, {setup}: "
            + ", ".join(f"{side} " + " / ".join(f"{v:.0%}" for v in values) for side, values in register.items())
        )
    starts = counters.get("getMassInsuranceStatusStart", 0) - counters_before.get("getMassInsuranceStatusStart", 0)
    polls = counters.get("getMassInsuranceStatusPoll", 0) - counters_before.get("getMassInsuranceStatusPoll", 0)
    singles = counters.get("getPersonData", 0) - counters_before.get("getPersonData", 0)
    print(
        f"\nmass path: {args.mass_rows} ЕНП rows in one group answered in {mass_seconds:.1f} s "
        f"({args.mass_rows / mass_seconds:.0f} rows/s); {starts} Start + {polls} Poll calls, "
        f"{singles} getPersonData calls"
    )
    print("\nRSS, MB: " + " -> ".join(label for label, _ in rss))
    for name in ("ferzl_emulator", "journal", "ferzl_bridge"):
        print(f"  {name:<15} " + " -> ".join(f"{values[name]:.1f}" for _, values in rss))
    main_results = [(lat, raws, rates, setup) for c, lat, n, raws, rates, cpu, setup, _ in results if c == kind]
    slow = [statistics.median(rates) for latency, _, rates, _ in main_results if latency == 200][0]
    apart = any(setup == ISOLATED for _, _, _, setup in main_results)  # then it decides at 0 ms (decisions.md)
    goals = [
        (
            f"ratio >= {GOALS['ratio']} at {lat} ms ({setup}"
            f"{', reference only' if apart and lat == 0 and setup != ISOLATED else ''})",
            ratio_verdict(raws, rates, GOALS["ratio"]),
        )
        for lat, raws, rates, setup in main_results
    ]
    goals.append(
        (f"200 ms with {CONCURRENCY} in flight >= {GOALS['rate_200ms']:.0f} req/s", slow >= GOALS["rate_200ms"])
    )
    goals.append(
        (
            f"{args.mass_rows} rows through the mass path < {GOALS['mass_seconds']:.0f} s",
            mass_seconds < GOALS["mass_seconds"],
        )
    )
    report(goals, quick=args.quick)


if __name__ == "__main__":
    main()
