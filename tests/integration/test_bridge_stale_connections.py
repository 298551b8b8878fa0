"""Kept-alive connections to ФЕРЗЛ that a firewall or load balancer breaks while they are idle (issue 27), with the
loopback TCP proxy (tests/tcp_proxy.py) between the bridge and the emulator: every pooled connection (a) reset when
next used, (b) black-holed (bytes taken and dropped, nothing sent back), (c) closed cleanly while idle. In each case
the next lookups are answered within 2 s, each at the cost of one extra attempt at most, none goes to a retry tier,
and the archive says why an attempt was repeated.

First the clients themselves (the fast path, zeep's getPersonData, the mass service) against an emulator process;
then a small stack of its own -- emulator, journal, ferzl_bridge on a vhost and database of their own, the proxy in
front of the emulator -- with requests put into the journal's outbox as users' requests are."""

import os
import subprocess
import sys
import threading
import time
import uuid

import pytest

from services.ferzl_bridge import mass
from services.ferzl_bridge.archive import Capture
from services.ferzl_bridge.client import FerzlClient, MassClient
from services.ferzl_bridge.fast import FastClient
from services.ferzl_emulator.register import Register
from services.journal import archive
from services.supervisor import Supervisor, wait_http
from shared import clock
from shared.dictionaries.mo import smo_dictionary
from tests import ferzl_support, support
from tests.conftest import Stack, service_database
from tests.integration.test_bridge_support import bridge_state, counters, create, params, wait_final
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

REGISTER = Register(ferzl_support.SEED, ferzl_support.SIZE)
FAULTS = {"reset": TcpProxy.reset, "blackhole": TcpProxy.blackhole, "close": TcpProxy.close_idle}
CONNECT_TIMEOUT = 0.5  # FERZL_CONNECT_TIMEOUT here: a black-holed idle connection is given up after it
IDLE = 1.2  # seconds the pooled connections wait before the fault: idle connections, as a firewall finds them
REPEATED = "запрос повторён на новом соединении"


def notes(capture):
    return [e[5] for e in capture.exchanges]


def at_once(fn, items):
    """fn(item) for every item in threads of their own; results in order (an exception is raised here)."""
    results = [None] * len(items)

    def run(n):
        try:
            results[n] = fn(items[n])
        except Exception as exc:  # noqa: BLE001 -- handed to the test
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(items))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        if isinstance(r, Exception):
            raise r
    return results


# ---- the clients against an emulator process ----


@pytest.fixture(scope="module")
def emulator():
    with ferzl_support.running_emulator() as emu:
        emu.admin(mass_delay_ms=100)
        yield emu


@pytest.fixture
def proxy(emulator):
    p = TcpProxy.before(emulator.base_url)
    yield p
    p.close()


def single_client(kind, proxy, emulator):
    cls = FastClient if kind == "fast" else FerzlClient
    return cls(proxy.url(emulator.soap_url), emulator.token, timeout=30, connect_timeout=CONNECT_TIMEOUT, pool_size=10)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("kind", ["fast", "zeep"])
def test_single_lookups_after_the_fault_cost_one_extra_attempt_at_most(emulator, proxy, kind, fault):
    client = single_client(kind, proxy, emulator)
    persons = REGISTER.sample(12)

    def look_up(person):
        capture = Capture()
        answer = client.get_person_data(ferzl_support.blank_params(enp=person.enp), str(uuid.uuid4()), capture)
        return answer, capture

    at_once(look_up, persons[:6])  # several connections in the pool
    time.sleep(IDLE)
    assert FAULTS[fault](proxy) >= 2
    before = emulator.state()["counters"].get("getPersonData", 0)
    started = time.monotonic()
    results = at_once(look_up, persons[6:])
    seconds = time.monotonic() - started
    assert [answer.to_dict() for answer, _ in results] == [REGISTER.answer(p, clock.today()) for p in persons[6:]]
    assert seconds < 2, f"{seconds:.2f} s"
    assert emulator.state()["counters"]["getPersonData"] - before == 6, "a failed attempt never reached ФЕРЗЛ"
    for _, capture in results:
        n = notes(capture)
        assert n == [None] or (len(n) == 2 and n[0].endswith(REPEATED) and n[1].startswith("повтор")), n
    repeated = sum(len(c.exchanges) == 2 for _, c in results)
    if fault == "close":
        assert repeated == 0, "connections closed while idle are dropped before use"
    else:
        assert repeated >= 1, "the fault did meet the lookups"


@pytest.mark.parametrize("fault", FAULTS)
def test_mass_start_and_poll_after_the_fault(emulator, proxy, fault):
    client = MassClient(
        proxy.url(
            emulator.base_url + ferzl_support.SOAP_PATH.replace("mpiPersonInfoServiceWs", "mpiAsyncOperationsServiceWs")
        ),
        emulator.token,
        timeout=30,
        connect_timeout=CONNECT_TIMEOUT,
    )
    smo = {code: (name, ogrn) for code, name, ogrn in smo_dictionary()}

    def batch(persons):
        rows = [
            {"request_id": n, "group_id": 1, "params": ferzl_support.blank_params(enp=p.enp)}
            for n, p in enumerate(persons)
        ]
        requests_, sent, _ = mass.requests_for(rows)
        start, polls = Capture(), Capture()
        token = client.start(requests_, str(uuid.uuid4()), start)
        while True:
            status, content = client.poll(token, str(uuid.uuid4()), polls)
            if content:
                break
            time.sleep(0.05)
        found = mass.match(sent, mass.read_zip(content), smo)
        assert [found[n].to_dict() for n in range(len(persons))] == [REGISTER.answer(p, clock.today()) for p in persons]
        return start, polls

    batch(REGISTER.sample(40)[20:30])
    time.sleep(IDLE)
    assert FAULTS[fault](proxy) >= 1
    before = emulator.state()["counters"]
    started = time.monotonic()
    start, polls = batch(REGISTER.sample(40)[30:40])
    assert time.monotonic() - started < 2
    after = emulator.state()["counters"]
    assert after["getMassInsuranceStatusStart"] - before["getMassInsuranceStatusStart"] == 1
    if fault == "close":
        assert notes(start) == [None]
    else:
        why = notes(start)[0].removesuffix(f"; {REPEATED}")
        assert notes(start) == [f"{why}; {REPEATED}", f"повтор на новом соединении: {why}"]
    assert all(n is None for n in notes(polls)), "the poll reuses the new connection"


# ---- a stack of its own with the proxy in front of the emulator ----


@pytest.fixture(scope="module")
def proxied_stack(settings, output_dir):
    vhost = support.unique_name("ozsp-stale")
    delete_vhost = support.create_vhost(settings, vhost)
    emu = support.free_port()
    proxy = TcpProxy("127.0.0.1", emu)
    soap = f"http://127.0.0.1:{emu}{ferzl_support.SOAP_PATH}"
    log_path = os.path.join(output_dir, "services-stale.log")
    try:
        with service_database(settings) as url, open(log_path, "w", encoding="utf-8") as log:
            env = {
                "AMQP_URI": support.amqp_uri_for_vhost(settings, vhost),
                "DATABASE_URL": url,
                "EMULATOR_ADDRESS": f"127.0.0.1:{emu}",
                "FERZL_URL": proxy.url(soap),
                "FERZL_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
                "CHUNK_SIZE": "20",
                "FERZL_MASS_MIN": "10",
                "FERZL_MASS_WAIT": "0.1",
                "FERZL_MASS_POLL": "0.1",
                "CRL_REFRESH_MINUTES": "0",
                "OZSP_MODE": "dev",
                "PYTHONUNBUFFERED": "1",
            }
            sup = Supervisor(env=env, restart=False, output=log)
            try:
                assert wait_http(f"http://127.0.0.1:{emu}/emulator/health", 60, sup.start("ferzl_emulator"))
                sup.start("journal")
                sup.start("ferzl_bridge")
                stack = Stack(sup, env, None, f"http://127.0.0.1:{emu}", log_path)
                stack.set_knobs(mass_delay_ms=100)
                stack.proxy = proxy
                support.wait_for(lambda: _state(stack), 90, 0.5, "the bridge of the proxied stack")
                from sqlalchemy import create_engine

                stack.engine = create_engine(url)
                yield stack
                stack.engine.dispose()
            finally:
                sup.stop()
    finally:
        proxy.close()
        delete_vhost()


def _state(stack):
    try:
        return bridge_state(stack)
    except Exception:  # noqa: BLE001 -- not up yet
        return None


def enp_params(persons, name):
    return [params(enp=p.enp, name=name) for p in persons]


def metric(state, key):
    return state["metrics"].get(key, 0)


@pytest.mark.parametrize("fault", FAULTS)
def test_requests_after_the_fault_are_answered_in_two_seconds_with_the_reason_archived(proxied_stack, fault):
    stack, engine = proxied_stack, proxied_stack.engine
    offset = {"reset": 0, "blackhole": 40, "close": 80}[fault]
    persons = REGISTER.sample(1200)[1000 + offset : 1040 + offset]
    warm = create(engine, enp_params(persons[:8], "прогрев")) + create(
        engine, enp_params(persons[8:20], "прогрев"), group="прогрев"
    )
    wait_final(engine, warm, 30)
    time.sleep(IDLE)
    assert FAULTS[fault](stack.proxy) >= 2, "the pooled connections were there to break"
    before, calls = bridge_state(stack), counters(stack)
    started = time.monotonic()
    single = create(engine, enp_params(persons[20:28], "после сбоя"))
    grouped = create(engine, enp_params(persons[28:40], "после сбоя"), group=f"после сбоя {fault}")
    found = wait_final(engine, single + grouped, 30)
    seconds = time.monotonic() - started
    after, calls_after = bridge_state(stack), counters(stack)

    assert {found[i]["status"] for i in single + grouped} == {"answered"}
    assert [found[i]["answer"]["oip"] for i in single + grouped] == [p.oip for p in persons[20:40]]
    assert seconds < 2, f"answered in {seconds:.2f} s"
    assert metric(after, "later") == metric(before, "later"), "nothing went to a retry tier"
    assert {k: v for k, v in after["metrics"].items() if k.startswith("unavailable")} == {
        k: v for k, v in before["metrics"].items() if k.startswith("unavailable")
    }
    assert calls_after["getPersonData"] - calls["getPersonData"] == 8, "each request reached ФЕРЗЛ once"
    assert calls_after["getMassInsuranceStatusStart"] - calls["getMassInsuranceStatusStart"] == 1
    repeated = sum(metric(after, k) - metric(before, k) for k in ("http_repeated", "mass_http_repeated"))
    assert repeated == 0 if fault == "close" else 1 <= repeated <= 9  # 8 single calls and one Start at most

    with engine.connect() as conn:
        exchanges = {i: archive.for_request(conn, i) for i in single + grouped}
    for i in single:
        got = exchanges[i]
        assert len(got) in (1, 2) and got[-1]["http_status"] == 200
        if len(got) == 2:
            assert got[0]["note"].endswith(REPEATED) and got[0]["response"] is None
            assert got[1]["note"].startswith("повтор на новом соединении: ")
    starts = [e for e in exchanges[grouped[0]] if e["operation"] == "getMassInsuranceStatusStart"]
    assert len(starts) in (1, 2) and starts[-1]["http_status"] == 200
    shown = {(e["at"], e["operation"], e["note"]) for es in exchanges.values() for e in es if e["note"]}
    assert len(shown) == 2 * repeated, "each repeat archived twice: the failed attempt and the repeat, with why"
    if fault != "close":
        repeated_id = next(i for i, es in exchanges.items() if any(e["note"] for e in es))
        out = subprocess.run(
            [sys.executable, "-m", "services.cli", "archive", "show", str(repeated_id)],
            cwd=support.ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **stack.env, "PYTHONPATH": support.ROOT},
        )
        assert out.returncode == 0, out.stderr
        assert "примечание: " in out.stdout and REPEATED in out.stdout and "повтор на новом соединении: " in out.stdout
