"""A 100,000-row group request end to end through the real service (manual §5): upload with ФЛК, processing by
the ФЕРЗЛ bridge (emulator at 0 ms), and the answer file; beside it, the bridge's raw client rate in the same run.

Starts the emulator, flk, journal, ferzl_bridge and gateway as real processes on a fresh RabbitMQ vhost and a
fresh database (as the test fixture does) and signs in with the dev certificate. Stages:
  upload      POST /api/v1/groups (multipart) until 202: transfer, ФЛК (flk.check_group), the group and its
              requests in one transaction (journal.create_group); ФЛК and the journal's share from Server-Timing
  processing  from the 202 until no row is «Отправлен» (GET /api/v1/groups/{id} every 0.1 s)
  export      GET /api/v1/groups/{id}/export.csv until the last byte (and the .xlsx beside it, for information)
The raw client rate: services.ferzl_bridge.client.FerzlClient.get_person_data from 50 green threads in one
process (as bench/bridge.py measures it), the bridge's concurrency, against the same emulator in the same run.
Synthetic people of the emulator's register: ЕНП rows, 1 % of them nobody's (they end in «Ошибка»). RSS of every
process after a 2,000-row warm-up, after the group and after each of --again more groups of the same size (flat
memory: they add nothing), each sampled once the services have trimmed their heap (shared.memory, every 20 s),
and the peak (VmHWM).

Goals: ФЛК of the upload <= 3 s, end to end >= 1,000 rows/s, export <= 5 s, answer file lines = rows + 1, memory
flat (<= 5 MB a further group).

    .venv/bin/python bench/group.py [--rows 100000] [--raw-calls 6000] [--again 2] [--quick]
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from shared.quiet import quiet_eventlet  # noqa: E402

quiet_eventlet()  # before shared.memory imports nameko

from bench import sandbox  # noqa: E402
from bench.goals import report  # noqa: E402
from bench.resources import Resources  # noqa: E402
from bench.signin import DEV_ENV, sign_in  # noqa: E402
from services.ferzl_emulator.register import Register  # noqa: E402
from services.flk.group import COLUMNS  # noqa: E402
from services.supervisor import START_ORDER, wait_http  # noqa: E402
from shared import config  # noqa: E402
from shared.memory import ReleasesMemory  # noqa: E402
from shared.params import FIELDS  # noqa: E402

SEED, SIZE = config.Settings.emulator_seed, config.Settings.emulator_size  # the default register
CONCURRENCY = 50  # the bridge's FERZL_CONCURRENCY in this run
GOALS = {"flk_s": 3.0, "rows_per_s": 1000.0, "export_s": 5.0, "growth_mb": 5.0}
SERVICES = ("ferzl_emulator", "flk", "journal", "ferzl_bridge", "gateway")
QUICK = {"rows": 1000, "raw_calls": 100, "again": 1, "warm_up": 200}


def settled_memory(procs, settle=True):
    """RSS and peak of every process once the services have handed freed heap back (shared.memory's timer)."""
    if settle:
        time.sleep(ReleasesMemory.RELEASE_SECONDS + 1)
    return {name: memory_mb(p.pid) for name, p in procs.items()}


def memory_mb(pid):
    """(RSS, peak RSS) of a process in MB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


# The raw client in a process of its own: FerzlClient.get_person_data for distinct ЕНП from a green pool.
RAW = """
import warnings; warnings.filterwarnings("ignore")
import eventlet; eventlet.monkey_patch()
import json, sys, time, uuid
sys.path.insert(0, sys.argv[1])
from services.ferzl_bridge.client import FerzlClient
from services.ferzl_emulator.register import Register
from shared.params import FIELDS
url, token, calls, concurrency = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
register = Register(int(sys.argv[6]), int(sys.argv[7]))
asks = [dict({f: None for f in FIELDS}, enp=register.person((i * 7919) % register.size).enp) for i in range(calls)]
client = FerzlClient(url, token, pool_size=concurrency)
pool = eventlet.GreenPool(concurrency)
for _ in pool.imap(lambda p: client.get_person_data(p, str(uuid.uuid4())), asks[:concurrency]):
    pass  # warm-up: connections, the WSDL, the register's cache
started = time.perf_counter()
for _ in pool.imap(lambda p: client.get_person_data(p, str(uuid.uuid4())), asks):
    pass
print(json.dumps({"rate": calls / (time.perf_counter() - started)}))
"""


def raw_rate(url, token, calls):
    out = subprocess.run(
        [sys.executable, "-c", RAW, ROOT, url, token, str(calls), str(CONCURRENCY), str(SEED), str(SIZE)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])["rate"]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds():
    """CPU time the whole machine was busy (PostgreSQL and RabbitMQ included)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def group_file(register, rows, offset=0):
    """ЕНП rows of the register; every 100th row (from the 51st) asks for nobody."""
    lines = [";".join(COLUMNS)]  # the header of the manual (§5.1)
    for i in range(rows):
        index = SIZE + i if i % 100 == 50 else (offset + i) % SIZE
        values = {"name": f"RQ{i + 1}", "enp": register.person(index).enp}
        lines.append(";".join(values.get(field, "") for field in FIELDS))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def server_timing(header):
    """'flk;dur=812, journal;dur=2100' -> {"flk": 0.812, "journal": 2.1} seconds."""
    out = {}
    for part in (header or "").split(","):
        name, _, duration = part.strip().partition(";dur=")
        if duration:
            out[name] = float(duration) / 1000
    return out


class Run:
    def __init__(self, session, base_url):
        self.session, self.base_url = session, base_url

    def upload(self, name, content):
        started = time.perf_counter()
        r = self.session.post(
            self.base_url + "/api/v1/groups",
            data={"name": name},
            files={"file": ("bench.csv", content, "text/csv")},
            timeout=600,
        )
        seconds = time.perf_counter() - started
        if r.status_code != 202:
            raise RuntimeError(f"upload refused: {r.status_code} {r.text[:500]}")
        return r.json()["id"], seconds, server_timing(r.headers.get("Server-Timing"))

    def wait_finished(self, group_id, timeout=900):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            group = self.session.get(f"{self.base_url}/api/v1/groups/{group_id}", timeout=30).json()
            if group["status"] != "sent":
                return group
            time.sleep(0.1)
        raise RuntimeError(f"group {group_id} not finished within {timeout} s")

    def export(self, group_id, kind, path):
        started = time.perf_counter()
        with self.session.get(f"{self.base_url}/api/v1/groups/{group_id}/export.{kind}", stream=True, timeout=600) as r:
            r.raise_for_status()
            with open(path, "wb") as f:
                for chunk in r.iter_content(1 << 16):
                    f.write(chunk)
        return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--raw-calls", type=int, default=6000, help="calls of the raw client measurement")
    parser.add_argument("--again", type=int, default=2, help="groups of the same size after the measured one (memory)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK['rows']:,} rows, one more group, no wait for the heap trim: the code paths, not a measurement",
    )
    args = parser.parse_args()
    args.warm_up = 2000
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    with Resources() as res:
        run_bench(res, args)


def run_bench(res, args):
    amqp_uri = res.vhost()
    url = res.database(dev_login=True)
    web, emu = sandbox.free_port(), sandbox.free_port()
    env = sandbox.stack_env(
        amqp_uri,
        url,
        emu,
        CONCURRENCY,
        WEB_ADDRESS=f"127.0.0.1:{web}",
        SMTP_ADDRESS=f"127.0.0.1:{sandbox.free_port()}",
        **DEV_ENV,
    )
    sup = res.services(env, "bench-group.log")
    soap = config.load({**os.environ, **env})
    register = Register(SEED, SIZE)
    out_csv = os.path.join(sandbox.OUTPUT, "bench-group.csv")
    out_xlsx = os.path.join(sandbox.OUTPUT, "bench-group.xlsx")
    settle = not args.quick
    procs = {"ferzl_emulator": sup.start("ferzl_emulator")}
    assert wait_http(f"http://127.0.0.1:{emu}/emulator/health", 60, procs["ferzl_emulator"]), "no emulator"
    for name in START_ORDER:
        if name in SERVICES:
            procs[name] = sup.start(name)
    assert wait_http(f"http://127.0.0.1:{web}/api/v1/health", 90), "services did not start; see bench-group.log"
    run = Run(sign_in(f"http://127.0.0.1:{web}"), f"http://127.0.0.1:{web}")
    print(
        f"Group request benchmark: {args.rows} rows, emulator latency 0 ms, bridge concurrency {CONCURRENCY}, "
        f"CHUNK_SIZE {soap.chunk_size}, bridge client {soap.ferzl_client}, {os.cpu_count()} CPUs\n"
    )

    warm_id, _, _ = run.upload("warm-up", group_file(register, args.warm_up, offset=SIZE - args.warm_up))
    run.wait_finished(warm_id)
    run.export(warm_id, "csv", out_csv)
    memory = [settled_memory(procs, settle)]

    content = group_file(register, args.rows)
    group_id, upload_s, stages = run.upload(f"bench {args.rows}", content)
    started = time.perf_counter()
    group = run.wait_finished(group_id)
    processing_s = time.perf_counter() - started
    cpu0 = {name: cpu_seconds(p.pid) for name, p in procs.items()} | {"machine": machine_cpu_seconds()}
    export_s = run.export(group_id, "csv", out_csv)
    export_cpu = {
        name: cpu_seconds(p.pid) - cpu0[name] for name, p in procs.items() if name in ("journal", "gateway")
    } | {"machine": machine_cpu_seconds() - cpu0["machine"]}
    xlsx_s = run.export(group_id, "xlsx", out_xlsx)
    memory.append(settled_memory(procs, settle))
    with open(out_csv, "rb") as f:
        lines = f.read().count(b"\r\n")
    for n in range(args.again):  # the same again: memory must not grow from one large group to the next
        again_id, _, _ = run.upload(f"bench again {n + 1}", group_file(register, args.rows, offset=(n + 1) * 7919))
        run.wait_finished(again_id)
        run.export(again_id, "csv", out_csv)
        run.export(again_id, "xlsx", out_xlsx)
        memory.append(settled_memory(procs, settle))
    raw = raw_rate(soap.effective_ferzl_url, soap.ferzl_token, args.raw_calls)

    total = upload_s + processing_s + export_s
    processing_rate = args.rows / processing_s
    print(
        f"file: {len(content) / 1e6:.1f} MB UTF-8; group: {group['total']} rows, {group['answered']} «Получен», "
        f"{group['failed']} «Ошибка»; answer file {lines} lines, {os.path.getsize(out_csv) / 1e6:.1f} MB\n"
    )
    print(f"{'stage':<34}{'seconds':>9}{'rows/s':>10}")
    for label, seconds in (
        ("upload (POST until 202)", upload_s),
        ("  of it ФЛК (flk.check_group)", stages.get("flk", 0.0)),
        ("  of it journal.create_group", stages.get("journal", 0.0)),
        ("processing (202 until all answered)", processing_s),
        ("export CSV (until the last byte)", export_s),
        ("end to end (upload+processing+CSV)", total),
        ("export XLSX (for information)", xlsx_s),
    ):
        print(f"{label:<34}{seconds:>9.2f}{args.rows / seconds if seconds else 0:>10,.0f}")
    print("CPU seconds during the CSV export: " + ", ".join(f"{n} {v:.2f}" for n, v in export_cpu.items()))
    print(
        f"\nraw client (FerzlClient.get_person_data, {CONCURRENCY} in flight): {raw:,.0f} calls/s; "
        f"processing / raw client = {processing_rate / raw:.2f}"
    )
    print(
        f"\nRSS, MB: after a {args.warm_up:,}-row warm-up, then after each {args.rows:,}-row group (upload, "
        f"processing, CSV and XLSX); peak (VmHWM) at the end"
    )
    for name in procs:
        print(
            f"  {name:<15} " + " -> ".join(f"{m[name][0]:6.1f}" for m in memory) + f"   peak {memory[-1][name][1]:6.1f}"
        )
    growth = {name: (memory[-1][name][0] - memory[1][name][0]) / max(len(memory) - 2, 1) for name in procs}
    print("growth per further group, MB: " + ", ".join(f"{n} {g:+.1f}" for n, g in growth.items()))
    report(
        [
            (f"ФЛК <= {GOALS['flk_s']:.0f} s", stages.get("flk", 99) <= GOALS["flk_s"]),
            (f"end to end >= {GOALS['rows_per_s']:,.0f} rows/s", args.rows / total >= GOALS["rows_per_s"]),
            (f"export <= {GOALS['export_s']:.0f} s", export_s <= GOALS["export_s"]),
            ("answer file lines = rows + 1", lines == args.rows + 1),
            (
                f"memory flat (<= {GOALS['growth_mb']:.0f} MB a further group)",
                args.again > 0 and max(growth.values()) <= GOALS["growth_mb"],
            ),
        ],
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
