"""Latency of one individual ЕНП lookup through the whole pipeline, next to the raw ФЕРЗЛ client's in the same run.

Starts the emulator, journal, flk, ferzl_bridge and gateway as real processes on a fresh RabbitMQ vhost and a
fresh database, signs in as the demo user (bench/signin.py) and, at emulator latency 0 ms and 200 ms, makes
`--count` lookups in each of three series: one after another; by 50 clients back to back (every CPU busy: the
lookups a second it reaches is the machine's capacity); by 50 clients each starting one at a steady pace, all
together offering half that capacity (an open loop, as users clicking at their own pace). Each lookup is a pair: the raw
client (services.ferzl_bridge.fast, the bridge's own hot path) calls the emulator for a person, then the same
client thread looks another person up through the API as a page does:

    POST /api/v1/requests -> GET /individual/wait?ids=<id>&part=card (the page's long poll; its answer carries
    the card's HTML)

pipeline = POST sent -> the answer stored (its history event: PostgreSQL's clock, the same machine's, at the start
of the storing transaction, so the pipeline errs short by that transaction's own 1-2 ms); overhead = pipeline - raw
of the pair. page delay = the answer stored -> the card with «Получен Ответ» received (errs long by as much): the
wait's answer. Synthetic people of the emulator's register only.

Goals (issue #21): overhead p95 <= 20 ms at 0 ms latency (one after another); page delay p95 <= 100 ms one after
another and with 50 clients at half the capacity. Back to back, every step of every lookup queues behind the
others' (2 CPUs for six processes): its latencies are printed, not judged.

    .venv/bin/python bench/latency.py [--count 500] [--slow-count 500] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from shared.quiet import quiet_eventlet  # noqa: E402

quiet_eventlet()
import requests  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench import sandbox  # noqa: E402
from bench.goals import report  # noqa: E402
from bench.resources import Resources  # noqa: E402
from bench.signin import DEV_ENV, sign_in  # noqa: E402
from services.ferzl_bridge.fast import FastClient  # noqa: E402
from services.ferzl_emulator.register import Register  # noqa: E402
from services.supervisor import wait_http  # noqa: E402
from shared import config  # noqa: E402
from shared import params as P  # noqa: E402

CONCURRENT = 50
ONE, FULL, HALF = "1 at once", "50 at once, back to back (the capacity)", "50 clients at half the capacity"
LOAD_SHARE = 0.5  # the HALF series offers this share of the lookups a second the FULL series reached
GOAL_OVERHEAD_P95_MS, GOAL_PAGE_P95_MS = 20.0, 100.0
QUICK_COUNT = 20
LIVE_DELAY = 2.5  # seconds: the page's timer when it may not wait (static/app.js, LIVE_DELAY_MS)
SEED, SIZE = config.Settings.emulator_seed, config.Settings.emulator_size
ANSWERED_LABEL = "Получен Ответ"


def pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))]


def summary(samples):
    return f"p50 {pct(samples, 0.5):7.1f}  p95 {pct(samples, 0.95):7.1f}  p99 {pct(samples, 0.99):7.1f}"


class Lookups:
    """Pairs of (raw call, lookup through the API); thread-safe counters of the people used."""

    def __init__(self, base, soap_url, token, engine, register):
        self.base, self.soap_url, self.token, self.engine, self.register = base, soap_url, token, engine, register
        self.local = threading.local()
        self.lock = threading.Lock()
        self.next_person = 0
        self.cookies = None

    def person(self):
        with self.lock:
            self.next_person += 1
            return self.register.person((self.next_person * 7919) % SIZE)

    def session(self):
        if not hasattr(self.local, "session"):
            s = requests.Session()
            s.cookies.update(self.cookies.cookies)
            s.headers.update(self.cookies.headers)
            self.local.session = s
            self.local.raw = FastClient(self.soap_url, self.token, pool_size=1)
        return self.local.session, self.local.raw

    def pair(self, _=None):
        session, raw = self.session()
        params = {**{f: None for f in P.FIELDS}, "enp": self.person().enp}
        t0 = time.perf_counter()
        raw.get_person_data(params, str(uuid.uuid4()))
        raw_ms = (time.perf_counter() - t0) * 1000
        enp = self.person().enp
        sent = time.time()
        t0 = time.perf_counter()
        created = session.post(f"{self.base}/api/v1/requests", json={"name": "Задержка", "enp": enp}, timeout=60)
        created.raise_for_status()
        rid = created.json()["id"]
        posted = time.perf_counter()
        while True:
            said = session.get(f"{self.base}/individual/wait", params={"ids": rid, "part": "card"}, timeout=60)
            said.raise_for_status()
            if rid in said.json()["finished"]:
                break
            if said.json().get("again"):  # the gateway holds too many waits: the page polls on its timer
                time.sleep(LIVE_DELAY)
                said = session.get(f"{self.base}/individual/{rid}", params={"part": "card"}, timeout=60)
                said.raise_for_status()
                if ANSWERED_LABEL in said.text:
                    break
        shown = time.time()
        html = said.json()["html"] if said.headers.get("Content-Type", "").startswith("application/json") else said.text
        if ANSWERED_LABEL not in html:
            raise RuntimeError(f"request {rid}: the card does not show «{ANSWERED_LABEL}»")
        return {
            "id": rid,
            "raw": raw_ms,
            "post": (posted - t0) * 1000,
            "sent": sent,
            "shown": shown,
        }

    def stored_at(self, ids):
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT request_id, extract(epoch FROM at) FROM request_history "
                    "WHERE request_id = ANY(:ids) AND event IN ('answered', 'error')"
                ),
                {"ids": ids},
            ).all()
        return {r[0]: float(r[1]) for r in rows}

    def run(self, count, concurrency, pace=None):
        """count lookups by `concurrency` clients: back to back, or (pace) each client starting one every `pace`
        seconds, the clients spread evenly over it (an open loop: a late lookup starts at once)."""
        if concurrency == 1:
            results = [self.pair() for _ in range(count)]
        elif pace is None:
            with ThreadPoolExecutor(concurrency) as pool:
                results = list(pool.map(self.pair, range(count)))
        else:
            start = time.monotonic() + 0.5

            def client(k):
                out, n = [], 0
                while k + n * concurrency < count:
                    time.sleep(max(0.0, start + (k / concurrency + n) * pace - time.monotonic()))
                    out.append(self.pair())
                    n += 1
                return out

            with ThreadPoolExecutor(concurrency) as pool:
                results = [r for rs in pool.map(client, range(concurrency)) for r in rs]
        stored = self.stored_at([r["id"] for r in results])
        pipeline = [(stored[r["id"]] - r["sent"]) * 1000 for r in results]
        span = max(r["shown"] for r in results) - min(r["sent"] for r in results)
        return {
            "rate": len(results) / span,
            "raw": [r["raw"] for r in results],
            "pipeline": pipeline,
            "overhead": [p - r["raw"] for p, r in zip(pipeline, results, strict=True)],
            "post": [r["post"] for r in results],
            "page": [(r["shown"] - stored[r["id"]]) * 1000 for r in results],
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=500, help="lookups a series at 0 ms latency")
    ap.add_argument("--slow-count", type=int, default=500, help="lookups a series at 200 ms latency")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_COUNT} lookups a series: the code paths only")
    args = ap.parse_args()
    if args.quick:
        args.count = args.slow_count = QUICK_COUNT

    with Resources() as res:
        amqp_uri = res.vhost()
        url = res.database(dev_login=True)
        emu, web = sandbox.free_port(), sandbox.free_port()
        env = {
            "AMQP_URI": amqp_uri,
            "DATABASE_URL": url,
            "WEB_ADDRESS": f"127.0.0.1:{web}",
            "EMULATOR_ADDRESS": f"127.0.0.1:{emu}",
            "FERZL_URL": "",
            "EMULATOR_SEED": str(SEED),
            "EMULATOR_SIZE": str(SIZE),
            "FERZL_CONCURRENCY": str(CONCURRENT),
            "LOG_LEVEL": "WARNING",
            **DEV_ENV,
        }
        settings = config.load({**os.environ, **env})
        sup = res.services(env, "bench-latency.log")
        emulator = f"http://127.0.0.1:{emu}"
        sup.start("ferzl_emulator")
        if not wait_http(f"{emulator}/emulator/health", 60):
            sys.exit("emulator did not start; see test-output/bench-latency.log")
        for name in ("journal", "flk", "ferzl_bridge", "gateway"):
            sup.start(name)
        base = f"http://127.0.0.1:{web}"
        if not wait_http(base + "/api/v1/health", 90):
            sys.exit("services did not start; see test-output/bench-latency.log")
        time.sleep(2)
        lookups = Lookups(
            base, settings.effective_ferzl_url, settings.ferzl_token, res.engine(url), Register(SEED, SIZE)
        )
        lookups.cookies = sign_in(base)
        print(f"individual lookups through the API vs the raw client, {os.cpu_count()} CPUs; times in ms\n", flush=True)
        found = {}
        for latency, count in ((0, args.count), (200, args.slow_count)):
            requests.post(f"{emulator}/emulator/admin", json={"latency_ms": latency}, timeout=10).raise_for_status()
            lookups.run(min(count, 20), 1)  # warm-up: connections, pools, caches
            for series in (ONE, FULL, HALF):
                pace = None
                if series == HALF:  # 50 clients sharing half the capacity the back-to-back series measured
                    pace = CONCURRENT / (LOAD_SHARE * found[(latency, FULL)]["rate"])
                got = lookups.run(count, 1 if series == ONE else CONCURRENT, pace)
                found[(latency, series)] = got
                print(f"emulator {latency} ms, {count} lookups, {series}:")
                if pace:
                    print(f"  each client starts a lookup every {pace:.2f} s")
                for key, title in (
                    ("raw", "raw client"),
                    ("pipeline", "pipeline (POST sent -> answer stored)"),
                    ("overhead", "overhead (pipeline - raw)"),
                    ("post", "  of the pipeline: POST answered"),
                    ("page", "page delay (stored -> card shown)"),
                ):
                    print(f"  {title:38} {summary(got[key])}")
                print(f"  {'mean overhead':36} {statistics.mean(got['overhead']):7.1f}")
                print(f"  {'lookups a second':36} {got['rate']:7.1f}\n", flush=True)
        overhead95 = pct(found[(0, ONE)]["overhead"], 0.95)
        page95 = max(pct(g["page"], 0.95) for (_, series), g in found.items() if series != FULL)
        saturated = max(pct(g["page"], 0.95) for (_, series), g in found.items() if series == FULL)
        print(
            f"not a goal: back to back, 50 clients keep every CPU busy and each step waits its turn; page delay p95 "
            f"there {saturated:.0f} ms (docs/benchmarks.md)\n"
        )
        report(
            [
                (
                    f"overhead p95 <= {GOAL_OVERHEAD_P95_MS:.0f} ms at 0 ms latency one at a time",
                    overhead95 <= GOAL_OVERHEAD_P95_MS,
                ),
                (
                    f"page shows the answer within {GOAL_PAGE_P95_MS:.0f} ms of storing it (p95, one at a time and "
                    f"{CONCURRENT} clients at half the capacity)",
                    page95 <= GOAL_PAGE_P95_MS,
                ),
            ],
            quick=args.quick,
        )


if __name__ == "__main__":
    main()
