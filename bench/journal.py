"""Journal search speed: a filtered, paged journal query through the JSON API, and the same SQL run directly.

Creates a fresh database, seeds 1,000,000 individual requests of one organisation with COPY (synthetic
people only), starts journal, flk and gateway as real processes on a fresh RabbitMQ vhost (as the test
fixture does), signs in as the demo user through the real login flow (bench/signin.py), then times each
query shape through GET /api/v1/requests and through store.list_requests on one direct connection (the same
two SQL statements: the count and the page). Goal for the filtered query: p95 <= 150 ms through the API, and
its API p95 <= 2x the direct SQL's p95.

    .venv/bin/python bench/journal.py [--rows 1000000] [--queries 200] [--keep] [--quick]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from shared.quiet import quiet_eventlet  # noqa: E402

quiet_eventlet()  # before nameko imports eventlet
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench import sandbox  # noqa: E402
from bench.goals import report  # noqa: E402
from bench.resources import Resources, names  # noqa: E402
from bench.signin import DEV_ENV, sign_in  # noqa: E402
from services import admin  # noqa: E402
from services.journal import store  # noqa: E402
from services.supervisor import wait_http  # noqa: E402
from shared import clock  # noqa: E402
from shared import params as P  # noqa: E402

GOAL_P95_MS, GOAL_RATIO = 150.0, 2.0
QUICK_ROWS, QUICK_QUERIES = 5_000, 3
ME = store.Identity(user_id=1, organization_id=1)
DAYS = 365

# Obviously synthetic surname parts: 20 x 20 x 6 = 2,400 surnames, none a real one by construction.
_HEADS = (
    "ТЕСТ",
    "ПРИМЕР",
    "ОБРАЗЦ",
    "МАКЕТ",
    "ВЫМЫШЛ",
    "УСЛОВН",
    "ШАБЛОН",
    "ПРОБН",
    "ЭТАЛОН",
    "ФИКТИВ",
    "МОДЕЛ",
    "ЧЕРНОВ",
    "НАБРОСК",
    "ЗАГОТОВ",
    "ОПЫТН",
    "ПИЛОТН",
    "УЧЕБН",
    "ДЕМОНСТР",
    "СИНТЕТ",
    "ЗАМЕН",
)
_MIDDLES = (
    "АЛ",
    "ЕР",
    "ОН",
    "ИК",
    "УР",
    "ЯН",
    "ЁМ",
    "АШ",
    "ОТ",
    "ИЛ",
    "УН",
    "ЕЗ",
    "АР",
    "ОС",
    "ИН",
    "ЮК",
    "ЕВ",
    "АГ",
    "ОМ",
    "ИТ",
)
_TAILS = ("ОВ", "ЕВ", "ИН", "СКИЙ", "ЕНКО", "ЫХ")
_FIRST = ("ИВАН", "ПЁТР", "СЕМЁН", "АРТЁМ", "ОЛЕГ", "АННА", "МАРИЯ", "ЕЛЕНА", "ОЛЬГА", "ДАРЬЯ")
_PATRONYMIC = ("ИВАНОВИЧ", "ПЕТРОВИЧ", "СЕМЁНОВИЧ", "ОЛЕГОВИЧ", "ИВАНОВНА", "ПЕТРОВНА", "ОЛЕГОВНА", "")

COLUMNS = (
    "organization_id",
    "user_id",
    "name",
    "params",
    "fio_search",
    "status",
    "created_at",
    "answered_at",
    "answer",
    "error_code",
    "error_message",
    "dispatched_at",
    "dispatch_count",
)


def _copy_text(value):
    if value is None:
        return r"\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def synthetic_rows(n, seed=5):
    """Tab-separated COPY lines over the last year in time order (as a journal grows): 60% with ФИО,
    90% answered, 10% error, the newest 200 still waiting for ФЕРЗЛ."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    moments = sorted(rng.random() * DAYS * 86400 for _ in range(n))[::-1]  # seconds ago, oldest first
    answer = json.dumps(
        {
            "oip": "100000000001",
            "enp": "5000000000000000",
            "policy": {
                "type": "П",
                "status": "ДПП",
                "date_begin": "2015-01-01",
                "date_end": None,
                "okato": "46000",
                "smo_name": 'ООО "ТЕСТОВАЯ СТРАХОВАЯ КОМПАНИЯ"',
                "smo_ogrn": "1025000001016",
                "smo_code": "50001",
            },
            "attachments": [
                {
                    "status": "ДПП",
                    "mo_code": "501000",
                    "mo_name": 'ГБУЗ МО "ТЕСТОВАЯ ПОЛИКЛИНИКА № 1"',
                    "date_begin": "2020-01-01",
                    "date_end": None,
                    "area_type": "1",
                }
            ],
        },
        ensure_ascii=False,
    )
    for i in range(n):
        created = now - timedelta(seconds=moments[i])
        params = {f: None for f in P.FIELDS}
        params.update(name=f"Запрос {i}", enp=f"50{i:014d}", as_of=clock.to_moscow(created).date().isoformat())
        if rng.random() < 0.6:
            params.update(
                surname=rng.choice(_HEADS) + rng.choice(_MIDDLES) + rng.choice(_TAILS),
                first_name=rng.choice(_FIRST),
                patronymic=rng.choice(_PATRONYMIC) or None,
            )
        status = "sent" if i >= n - 200 else "answered" if rng.random() < 0.9 else "error"
        answered = created + timedelta(seconds=2) if status != "sent" else None
        row = (
            1,
            1,
            params["name"],
            json.dumps(params, ensure_ascii=False),
            P.fio_search_key(params),
            status,
            created.isoformat(),
            answered.isoformat() if answered else None,
            answer if status == "answered" else None,
            "409" if status == "error" else None,
            "Персона не найдена" if status == "error" else None,
            now.isoformat(),
            1,
        )
        yield "\t".join(_copy_text(v) for v in row) + "\n"


class LinesReader(io.RawIOBase):
    """A file-like view of a generator of text lines, for COPY ... FROM STDIN."""

    def __init__(self, lines):
        self.lines, self.buffer = lines, b""

    def readable(self):
        return True

    def readinto(self, target):
        while len(self.buffer) < len(target):
            try:
                self.buffer += next(self.lines).encode("utf-8")
            except StopIteration:
                break
        chunk, self.buffer = self.buffer[: len(target)], self.buffer[len(target) :]
        target[: len(chunk)] = chunk
        return len(chunk)


def seed(url, rows):
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.copy_expert(
                f"COPY requests ({', '.join(COLUMNS)}) FROM STDIN",
                io.BufferedReader(LinesReader(synthetic_rows(rows)), 1 << 20),
            )
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE requests"))
        size = conn.execute(text("SELECT pg_size_pretty(pg_total_relation_size('requests'))")).scalar_one()
    engine.dispose()
    return size


def percentiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def shapes(today):
    """(title, query-string filters, store filters, pages) of the measured journal queries."""
    month = (today - timedelta(days=29)).isoformat(), today.isoformat()
    return [
        (
            "ФИО + 30 дней + «Получен» (цель)",
            {"fio": "тестал", "date_from": month[0], "date_to": month[1], "status": "answered"},
            (1, 2),
        ),
        ("ФИО (фамилия), весь журнал", {"fio": "пробнал"}, (1, 2, 3)),
        ("ФИО (частое имя «ИВАН»)", {"fio": "иван"}, (1, 2, 3)),
        ("30 дней + «Ошибка»", {"date_from": month[0], "date_to": month[1], "status": "error"}, (1, 2, 3)),
        ("без фильтров", {}, (1, 2, 3)),
    ]


def store_filters(query):
    filters = dict(query)
    for key in ("date_from", "date_to"):
        if key in filters:
            filters[key] = date.fromisoformat(filters[key])
    return filters


def measure(session, base_url, engine, queries, per_page=50):
    """Each query shape `queries` times through the API (a signed-in session) and as the direct SQL."""
    results = []
    with engine.connect() as conn:
        for title, query, pages in shapes(clock.today()):
            api, direct, total = [], [], None
            for k in range(queries):
                page = pages[k % len(pages)]
                t0 = time.perf_counter()
                r = session.get(
                    base_url + "/api/v1/requests", params={**query, "page": page, "per_page": per_page}, timeout=30
                )
                api.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
                total = r.json()["total"]
                t0 = time.perf_counter()
                store.list_requests(conn, ME, store_filters(query), page, per_page)
                direct.append((time.perf_counter() - t0) * 1000)
            results.append((title, total, percentiles(api), percentiles(direct)))
    return results


def session_checks(amqp_uri, token, calls):
    """The check every API call makes first (gateway -> journal.session_identity over RPC: an UPDATE of the
    session's last_seen_at and its commit), timed alone: (p50, p95) in ms."""
    times = []
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        for _ in range(calls):
            t0 = time.perf_counter()
            assert rpc.journal.session_identity(token, 30, 12)
            times.append((time.perf_counter() - t0) * 1000)
    return percentiles(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200, help="timed calls per query shape (each way)")
    ap.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_ROWS:,} rows, {QUICK_QUERIES} calls a shape: the code paths, not a measurement",
    )
    args = ap.parse_args()
    if args.quick:
        args.rows, args.queries = QUICK_ROWS, QUICK_QUERIES

    with Resources() as res:
        amqp_uri = res.vhost()
        if args.keep:
            url, _ = sandbox.make_test_database(res.settings, prefix=names()[1])
            admin.migrate(url)
            admin.seed(url, dev_login=True)
            print(f"the database stays after the run: {url}")
        else:
            url = res.database(dev_login=True)
        t0 = time.perf_counter()
        size = seed(url, args.rows)
        print(f"seeded {args.rows:,} requests with COPY in {time.perf_counter() - t0:.0f} s; table + indexes {size}")

        web = sandbox.free_port()
        env = {
            "AMQP_URI": amqp_uri,
            "DATABASE_URL": url,
            "WEB_ADDRESS": f"127.0.0.1:{web}",
            "DISPATCH_LEASE_SECONDS": "86400",
            "LOG_LEVEL": "WARNING",
            **DEV_ENV,
        }
        sup = res.services(env, "bench-journal.log")
        for name in ("journal", "flk", "gateway"):
            sup.start(name)
        base = f"http://127.0.0.1:{web}"
        if not wait_http(base + "/api/v1/health", 90):
            sys.exit("services did not start; see test-output/bench-journal.log")
        session = sign_in(base)

        engine = res.engine(url)
        measure(session, base, engine, 2 if args.quick else 10)  # warm-up: caches, pools
        print(
            f"\n{'query':40} {'total':>8} {'API p50':>8} {'API p95':>8} {'SQL p50':>8} {'SQL p95':>8} "
            f"{'ratio p50':>9} {'ratio p95':>9}"
        )
        results = measure(session, base, engine, args.queries)
        for title, total, (a50, a95), (d50, d95) in results:
            print(
                f"{title:40} {total:>8} {a50:8.1f} {a95:8.1f} {d50:8.1f} {d95:8.1f} {a50 / d50:9.2f} {a95 / d95:9.2f}"
            )
        print(
            f"\ntimes in ms over {args.queries} calls per shape, 50 rows a page, signed in as the demo user; "
            f"goal for the first line: API p95 <= {GOAL_P95_MS:.0f} ms, API p95 / SQL p95 <= {GOAL_RATIO:.0f}"
        )
        s50, s95 = session_checks(amqp_uri, session.cookies["ozsp_session"], args.queries)
        print(
            f"of the API path: the session check (journal.session_identity over RPC; its idle timer written at most once a minute) "
            f"p50 {s50:.1f} ms, p95 {s95:.1f} ms"
        )
        _, _, (_, api95), (_, sql95) = results[0]
        goal_rows = f"{args.rows:,} rows"
        report(
            [
                (
                    f"ФИО + 30 days + status through the API, p95 <= {GOAL_P95_MS:.0f} ms on {goal_rows}",
                    api95 <= GOAL_P95_MS,
                ),
                (f"its API p95 <= {GOAL_RATIO:.0f}x the direct SQL p95", api95 <= GOAL_RATIO * sql95),
            ],
            quick=args.quick,
        )


if __name__ == "__main__":
    main()
