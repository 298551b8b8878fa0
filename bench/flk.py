"""ФЛК of a 100,000-row group file end to end through the RPC, beside a bare csv.reader pass.

Run: .venv/bin/python bench/flk.py   (needs local RabbitMQ; starts its own flk process on a fresh vhost)
"""
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

from bench.flk_core import make_file  # noqa: E402
from services.supervisor import Supervisor  # noqa: E402
from tests import support  # noqa: E402

ROWS = 100_000


def bare_reader_seconds(content):
    started = time.perf_counter()
    for _ in csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"):
        pass
    return time.perf_counter() - started


def main():
    settings = support.base_settings()
    vhost = support.unique_name("ozsp-bench")
    delete_vhost = support.create_vhost(settings, vhost)
    uri = support.amqp_uri_for_vhost(settings, vhost)
    sup = Supervisor(env={"AMQP_URI": uri}, restart=False, output=open(os.devnull, "w"))
    try:
        sup.start("flk")
        content = make_file(ROWS)
        payload = base64.b64encode(content).decode()
        with ClusterRpcProxy({"AMQP_URI": uri}, timeout=120) as rpc:
            support.wait_for(lambda: _ping(rpc), 60, 0.5, "flk to start")
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                result = rpc.flk.check_group(payload, "bench.csv")
                timings.append(time.perf_counter() - started)
                assert result["ok"] and len(result["rows"]) == ROWS, result["errors"][:3]
        rpc_seconds = min(timings)
        bare = min(bare_reader_seconds(content) for _ in range(3))
        print(f"rows: {ROWS}, file {len(content) / 1e6:.1f} MB (UTF-8, ';')")
        print(f"flk.check_group via RPC : {ROWS / rpc_seconds:>10,.0f} rows/s ({rpc_seconds:.2f} s, best of 3)")
        print(f"bare csv.reader         : {ROWS / bare:>10,.0f} rows/s ({bare:.3f} s)")
        print(f"ratio RPC/bare time     : {rpc_seconds / bare:.1f}x   goal: >= 50,000 rows/s via RPC -> "
              f"{'met' if ROWS / rpc_seconds >= 50_000 else 'NOT met'}")
    finally:
        sup.stop()
        delete_vhost()


def _ping(rpc):
    try:
        return rpc.flk.ping() == "ok"
    except Exception:
        return False


if __name__ == "__main__":
    main()
