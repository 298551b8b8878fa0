"""What bridge processes share and what administrators see: the PostgreSQL rate limit across processes,
get_state() with queue depth, the support archive (`ozsp archive show`, retention) and `ozsp load-mo`."""

import contextlib
import os
import subprocess
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.ferzl_emulator.register import Register
from services.journal import archive
from services.journal.dispatch import Dispatcher
from services.supervisor import command
from shared import config
from shared.messages import WORK_QUEUE, pack_archive
from shared.queues import declared
from tests.integration.test_bridge_support import bridge_state, counters, create, knobs, params, wait_final, wait_state
from tests.support import ROOT, wait_for

pytestmark = pytest.mark.integration

REGISTER = Register.from_settings()

COUNT_TOKENS = """
import sys, time
from sqlalchemy import create_engine
from services.ferzl_bridge.ratelimit import Limiter, SharedBucket
limiter = Limiter(SharedBucket(create_engine(sys.argv[1])), float(sys.argv[2]))
start = float(sys.argv[3])
while time.time() < start:
    time.sleep(0.001)
n = 0
while time.time() < start + 3:
    if limiter.acquire(time.monotonic() + 0.05):
        n += 1
print(n)
"""


def test_two_processes_share_one_rate(database_url):
    start = time.time() + 1.5
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT_TOKENS, database_url, "40", str(start)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": ROOT},
        )
        for _ in range(2)
    ]
    counts = [int(p.communicate(timeout=30)[0].strip()) for p in procs]
    assert all(c > 10 for c in counts), counts  # both got their share
    assert 40 * 3 * 0.8 <= sum(counts) <= 40 * 3 + 2 * 8 + 20, counts  # one rate for both, plus bursts


@contextlib.contextmanager
def second_bridge(stack):
    """One more ferzl_bridge process on the stack's broker, killed -9 on the way out."""
    second = subprocess.Popen(
        command("ferzl_bridge"),
        env=stack.sup.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield second
    finally:
        os.killpg(second.pid, 9)
        second.wait()


def test_two_bridges_keep_to_the_configured_rate_end_to_end(stack, engine):
    """Both bridge processes at FERZL_RATE_LIMIT=25 against a ФЕРЗЛ that refuses more than 30 a second."""
    env = dict(stack.sup.env)
    stack.sup.env["FERZL_RATE_LIMIT"] = "25"
    try:
        stack.sup.kill("ferzl_bridge")
        stack.sup.start("ferzl_bridge")
        with second_bridge(stack):
            wait_state(stack, "up", 30)
            time.sleep(2)  # the second process joins the queue
            with knobs(stack, rate_limit=30):
                before = counters(stack)
                started = time.monotonic()
                ids = create(engine, [params(enp=p.enp) for p in REGISTER.sample(950)[800:]])
                found = wait_final(engine, ids, 60)
                seconds = time.monotonic() - started
                after = counters(stack)
        assert {r["status"] for r in found.values()} == {"answered"}
        assert after.get("http_429", 0) == before.get("http_429", 0), "ФЕРЗЛ never had to refuse a call"
        assert seconds >= 150 / 25 * 0.8, f"150 calls at 25/s took {seconds:.1f} s"
    finally:
        stack.sup.env.clear()
        stack.sup.env.update(env)
        stack.sup.kill("ferzl_bridge")
        stack.sup.start("ferzl_bridge")
        wait_state(stack, "up", 30)


def test_the_journal_counts_bridge_processes_for_its_automatic_window(stack):
    """Each bridge process is one consumer of the work queue; the journal's automatic window is one bridge's
    prefetch per consumer (services.journal.dispatch.Dispatcher.bridges, against the stack's broker)."""

    def count():
        return Dispatcher(config.from_nameko({"AMQP_URI": stack.env["AMQP_URI"], "DISPATCH_WINDOW": 0})).bridges()

    assert declared(stack.env["AMQP_URI"], [WORK_QUEUE])[WORK_QUEUE][1] == 1 == count()
    with second_bridge(stack):
        wait_for(lambda: count() == 2, 60, 0.5, "the second bridge process on the work queue")
    wait_for(lambda: count() == 1, 60, 0.5, "the work queue back to one consumer")
    broken = Dispatcher(config.from_nameko({"AMQP_URI": "amqp://guest:guest@127.0.0.1:1//", "DISPATCH_WINDOW": 0}))
    broken.bridges_seen = 4
    assert broken.bridges() == 4  # the broker away: the last count stays


def test_state_reports_queue_depth_and_metrics(stack):
    state = bridge_state(stack)
    assert state["state"] == "up" and datetime.fromisoformat(state["since"])
    assert state["reason"] is None and state["alarm"] is None
    depth = state["queue_depth"]
    assert set(depth) == {"work", "delayed", "total", "queues"}
    assert set(depth["queues"]) == {
        "ozsp.ferzl.work",
        "ozsp.ferzl.retry.500ms",
        "ozsp.ferzl.retry.1s",
        "ozsp.ferzl.retry.2s",
        "ozsp.ferzl.retry.4s",
    }
    assert "calls" in state["metrics"] or "started" in state["metrics"]


def run_cli(stack, *args):
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **stack.env, "PYTHONPATH": ROOT},
        timeout=60,
    )


def test_archive_keeps_each_exchange_for_administrators(stack, engine):
    persons = REGISTER.sample(1000)[950:]
    group = create(engine, [params(enp=p.enp) for p in persons[:30]], group="архив")
    single = create(engine, [params(enp=persons[40].enp)])
    wait_final(engine, group + single, 60)

    shown = run_cli(stack, "archive", "show", str(single[0]))
    assert shown.returncode == 0, shown.stderr
    assert "getPersonData HTTP 200" in shown.stdout and persons[40].enp in shown.stdout
    assert "<ns3:pd>" in shown.stdout or ":pd>" in shown.stdout
    shown = run_cli(stack, "archive", "show", str(group[0]))
    assert "getMassInsuranceStatusStart HTTP 200" in shown.stdout
    assert "getMassInsuranceStatusPoll HTTP 200" in shown.stdout and "двоичное вложение" in shown.stdout
    with engine.connect() as conn:
        audited = conn.execute(
            text("SELECT count(*) FROM audit WHERE action = 'archive_show' AND object_id = :id"), {"id": str(group[0])}
        ).scalar_one()
        stored = conn.execute(
            text("SELECT content FROM ferzl_archive WHERE request_ids @> ARRAY[CAST(:id AS bigint)]"), {"id": single[0]}
        ).scalar_one()
    assert audited == 1
    assert persons[40].enp.encode() not in bytes(stored) and zlib.decompress(bytes(stored)), "stored compressed"
    with engine.connect() as conn:
        exchanges = archive.for_request(conn, group[0])
    assert [e["operation"] for e in exchanges] == ["getMassInsuranceStatusStart", "getMassInsuranceStatusPoll"]
    assert exchanges[0]["persons"] >= 10 and persons[0].enp.encode() in exchanges[0]["request"]


def test_archive_retention(engine):
    old = datetime.now(UTC) - timedelta(days=40)
    with engine.begin() as conn:
        archive.store(
            conn,
            [
                pack_archive(
                    [
                        {
                            "at": old.isoformat(),
                            "operation": "getPersonData",
                            "request_ids": [-1],
                            "http_status": 200,
                            "duration_ms": 5,
                            "request": b"<r/>",
                            "response": None,
                        }
                    ]
                )
            ],
        )
        kept = conn.execute(
            text("SELECT count(*) FROM ferzl_archive WHERE at > now() - interval '30 days'")
        ).scalar_one()
    with engine.begin() as conn:
        assert archive.purge(conn, 30) >= 1
        assert (
            conn.execute(
                text("SELECT count(*) FROM ferzl_archive WHERE request_ids @> ARRAY[CAST(-1 AS bigint)]")
            ).scalar_one()
            == 0
        )
        assert conn.execute(text("SELECT count(*) FROM ferzl_archive")).scalar_one() == kept


F003 = """<?xml version="1.0" encoding="windows-1251"?>
<packet><zglv><type>F003</type></zglv>
<medCompany><tf_okato>46000</tf_okato><mcod>990001</mcod><nam_mop>ПОЛНОЕ ИМЯ</nam_mop>
<nam_mok>ГБУЗ МО "ЗАГРУЖЕННАЯ ПОЛИКЛИНИКА"</nam_mok></medCompany>
<medCompany><tf_okato>45000</tf_okato><mcod>990002</mcod><nam_mok>ДРУГОЙ РЕГИОН</nam_mok></medCompany>
</packet>"""


def test_load_mo_upserts_the_dictionary(stack, engine, tmp_path):
    path = tmp_path / "F003.xml"
    path.write_bytes(F003.encode("cp1251"))
    try:
        loaded = run_cli(stack, "load-mo", str(path), "--okato", "46000")
        assert loaded.returncode == 0, loaded.stderr
        assert "загружено 1" in loaded.stdout
        path.write_bytes(F003.replace("ЗАГРУЖЕННАЯ", "ПЕРЕИМЕНОВАННАЯ").encode("cp1251"))
        assert run_cli(stack, "load-mo", str(path)).returncode == 0
        with engine.connect() as conn:
            names = dict(conn.execute(text("SELECT code, name FROM mo_dictionary WHERE code LIKE '9900%'")).all())
        assert names == {"990001": 'ГБУЗ МО "ПЕРЕИМЕНОВАННАЯ ПОЛИКЛИНИКА"', "990002": "ДРУГОЙ РЕГИОН"}
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM mo_dictionary WHERE code LIKE '9900%'"))


def test_held_requests_keep_their_dispatch_lease_and_claims_carry_the_group(engine):
    """In one transaction that is rolled back (the running dispatcher never sees these rows)."""
    from services.journal import held, store
    from tests.integration.test_bridge_support import IDENTITY

    with engine.connect() as conn:
        tx = conn.begin()
        try:
            group_id = conn.execute(
                text(
                    "INSERT INTO groups (organization_id, user_id, name, total) VALUES (1, 1, 'аренда', 1) RETURNING id"
                )
            ).scalar_one()
            row = store.create_request(conn, IDENTITY, params(enp="5000000000000000"), group_id=group_id, line_no=1)
            claimed = store.claim_pending(conn, 1000, 300)
            assert [c["group_id"] for c in claimed if c["request_id"] == row["id"]] == [group_id]
            assert held.touch(conn, [{"request_id": row["id"], "seconds": 120}, {"request_id": -5, "seconds": 1}]) == 1
            ahead = conn.execute(
                text("SELECT dispatched_at - now() FROM requests WHERE id = :id"), {"id": row["id"]}
            ).scalar_one()
            assert timedelta(seconds=110) < ahead <= timedelta(seconds=120)
            assert row["id"] not in [c["request_id"] for c in store.claim_pending(conn, 1000, 0)], (
                "not published again while it waits in a delay queue"
            )
        finally:
            tx.rollback()
