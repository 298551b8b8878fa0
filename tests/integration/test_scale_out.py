"""Several copies of every service at once (issue 21 §2), as `ozsp up --scale` starts them: 2 journals, 3 bridges,
2 flk, 2 gateways on one broker vhost and one database. Work spreads over the copies, a page waiting on one gateway
hears of an answer stored for a request made through the other, and a group finishes with every row answered
exactly once while one journal and one bridge are killed -9 halfway."""

import os
import signal
import time

import pytest
import requests
from sqlalchemy import text

from bench.signin import DEV_ENV, sign_in
from services.ferzl_emulator.register import Register
from services.journal import groups, store
from services.supervisor import Supervisor, copy_name, parse_scale, wait_http
from shared import params as P
from shared.config import Settings
from shared.messages import ANSWERS_QUEUE, WORK_QUEUE
from shared.queues import declared
from tests import support

pytestmark = pytest.mark.integration

SCALE = parse_scale("journal=2,bridge=3,flk=2,gateway=2")
ROWS = 600
ME = store.Identity(user_id=1, organization_id=1)


@pytest.fixture(scope="module")
def scaled(settings):
    with support.own_vhost_and_database(settings, "ozsp-scale", dev_login=True) as (amqp_uri, url, engine):
        emu, web = support.free_port(), support.free_port()
        webs = [web, support.free_port()]
        env = {
            "AMQP_URI": amqp_uri,
            "DATABASE_URL": url,
            "EMULATOR_ADDRESS": f"127.0.0.1:{emu}",
            "FERZL_URL": "",
            "SMTP_ADDRESS": f"127.0.0.1:{support.free_port()}",
            "FERZL_CONCURRENCY": "10",
            "CHUNK_SIZE": "20",
            "DISPATCH_LEASE_SECONDS": "30",
            "LOG_LEVEL": "WARNING",
            "METRICS_COPIES": "0",
            **DEV_ENV,
        }
        os.makedirs(support.OUTPUT, exist_ok=True)
        log = open(os.path.join(support.OUTPUT, "scale-out.log"), "w", encoding="utf-8")
        sup = Supervisor(env=env, restart=False, output=log)
        try:
            sup.start("ferzl_emulator")
            assert wait_http(f"http://127.0.0.1:{emu}/emulator/health", 60), "emulator did not start"
            for name in ("journal", "flk", "ferzl_bridge", "gateway"):
                for n in range(1, SCALE[name] + 1):
                    own = {"WEB_ADDRESS": f"127.0.0.1:{webs[n - 1]}"} if name == "gateway" else {}
                    sup.start(copy_name(name, n), own)
            bases = [f"http://127.0.0.1:{w}" for w in webs]
            for base in bases:
                assert wait_http(base + "/api/v1/health", 120), "a gateway did not start; see test-output/scale-out.log"
            support.wait_for(
                lambda: consumers(env["AMQP_URI"]) == (SCALE["ferzl_bridge"], SCALE["journal"]),
                60,
                message="every bridge and journal copy consuming",
            )
            yield {"sup": sup, "env": env, "bases": bases, "engine": engine, "emulator": f"http://127.0.0.1:{emu}"}
        finally:
            sup.stop()
            log.close()


def consumers(amqp_uri):
    counts = declared(amqp_uri, [WORK_QUEUE, ANSWERS_QUEUE])
    return counts[WORK_QUEUE][1], counts[ANSWERS_QUEUE][1]


def knobs(scaled, **values):
    requests.post(scaled["emulator"] + "/emulator/admin", json=values, timeout=10).raise_for_status()


def test_every_copy_takes_its_share_of_the_queues(scaled):
    assert consumers(scaled["env"]["AMQP_URI"]) == (3, 2)


def test_a_page_on_one_gateway_hears_of_an_answer_to_a_request_made_through_the_other(scaled):
    first, second = scaled["bases"]
    session = sign_in(first)  # the session lives in the database: valid on every gateway copy
    enp = Register(Settings.emulator_seed, Settings.emulator_size).person(77).enp
    knobs(scaled, latency_ms=1500, latency_jitter_ms=0)
    try:
        created = session.post(first + "/api/v1/requests", json={"name": "Две копии", "enp": enp}, timeout=30)
        assert created.status_code == 201, created.text
        rid = created.json()["id"]
        started = time.monotonic()
        said = session.get(second + "/individual/wait", params={"ids": rid}, timeout=60)
        waited = time.monotonic() - started
    finally:
        knobs(scaled, latency_ms=0, latency_jitter_ms=0)
    assert said.status_code == 200 and said.json()["finished"] == [rid]
    assert 1.0 < waited < 10, waited  # it waited for the answer, and was told (not its 20 s timeout)


def test_a_group_finishes_exactly_once_while_a_journal_and_a_bridge_are_killed(scaled):
    sup, engine = scaled["sup"], scaled["engine"]
    register = Register(Settings.emulator_seed, Settings.emulator_size)
    columns = ["line", *P.FIELDS]
    rows = [[n + 1, *[register.person(1000 + n).enp if f == "enp" else None for f in P.FIELDS]] for n in range(ROWS)]
    knobs(scaled, latency_ms=40, latency_jitter_ms=10)
    try:
        with engine.begin() as conn:
            gid = groups.create_group(conn, ME, "Масштаб", "scale.csv", columns, rows)["id"]

        def answered():
            with engine.connect() as conn:
                return conn.execute(
                    text("SELECT count(*) FROM requests WHERE group_id = :g AND status <> 'sent'"), {"g": gid}
                ).scalar_one()

        support.wait_for(lambda: answered() >= ROWS // 4, 120, message="a quarter of the group answered")
        for name in ("journal#2", "ferzl_bridge#2"):
            os.killpg(sup.procs[name].pid, signal.SIGKILL)
        assert answered() < ROWS, "the group finished before the kills: nothing was proved"
        support.wait_for(lambda: answered() == ROWS, 240, interval=1, message="the whole group answered")
    finally:
        knobs(scaled, latency_ms=0, latency_jitter_ms=0)
    with engine.connect() as conn:
        finals = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT h.request_id) FROM request_history h JOIN requests r "
                "ON r.id = h.request_id WHERE r.group_id = :g AND h.event IN ('answered', 'error')"
            ),
            {"g": gid},
        ).one()
        group = conn.execute(text("SELECT answered + failed, finished_at FROM groups WHERE id = :g"), {"g": gid}).one()
    assert tuple(finals) == (ROWS, ROWS)  # one final event per row: nothing lost, nothing stored twice
    assert group[0] == ROWS and group[1] is not None
