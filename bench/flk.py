"""ФЛК of a 100,000-row group file end to end through the RPC, beside a bare csv.reader pass.

Starts its own flk process on a fresh vhost of the local RabbitMQ (bench/resources.py), checks the file through
flk.check_group three times and keeps the best run. Goal: >= 50,000 rows/s through the RPC.

    .venv/bin/python bench/flk.py [--rows 100000] [--quick]
"""

import argparse
import base64
import csv
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from shared.quiet import quiet_eventlet  # noqa: E402

quiet_eventlet()  # before nameko imports eventlet
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench import sandbox  # noqa: E402
from bench.flk_core import make_file  # noqa: E402
from bench.goals import report  # noqa: E402
from bench.resources import Resources  # noqa: E402

ROWS, ROUNDS = 100_000, 3
QUICK_ROWS = 2_000
GOAL_ROWS_PER_S = 50_000


def bare_reader_seconds(content):
    started = time.perf_counter()
    for _ in csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"):
        pass
    return time.perf_counter() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=ROWS)
    ap.add_argument(
        "--quick", action="store_true", help=f"{QUICK_ROWS:,} rows, one round: the code paths, not a measurement"
    )
    args = ap.parse_args()
    rows, rounds = (QUICK_ROWS, 1) if args.quick else (args.rows, ROUNDS)
    with Resources() as res:
        uri = res.vhost()
        res.services({"AMQP_URI": uri}).start("flk")
        content = make_file(rows)
        payload = base64.b64encode(content).decode()
        with ClusterRpcProxy({"AMQP_URI": uri}, timeout=120) as rpc:
            sandbox.wait_for(lambda: _ping(rpc), 60, 0.5, "flk to start")
            timings = []
            for _ in range(rounds):
                started = time.perf_counter()
                result = rpc.flk.check_group(payload, "bench.csv")
                timings.append(time.perf_counter() - started)
                assert result["ok"] and len(result["rows"]) == rows, result["errors"][:3]
    rpc_seconds = min(timings)
    bare = min(bare_reader_seconds(content) for _ in range(rounds))
    print(f"rows: {rows}, file {len(content) / 1e6:.1f} MB (UTF-8, ';')")
    print(f"flk.check_group via RPC : {rows / rpc_seconds:>10,.0f} rows/s ({rpc_seconds:.2f} s, best of {rounds})")
    print(f"bare csv.reader         : {rows / bare:>10,.0f} rows/s ({bare:.3f} s)")
    print(f"ratio RPC/bare time     : {rpc_seconds / bare:.1f}x")
    report(
        [(f"flk.check_group via RPC >= {GOAL_ROWS_PER_S:,} rows/s", rows / rpc_seconds >= GOAL_ROWS_PER_S)],
        quick=args.quick,
    )


def _ping(rpc):
    try:
        return rpc.flk.ping() == "ok"
    except Exception:
        return False


if __name__ == "__main__":
    main()
