"""Every benchmark runs in its quick mode (`bench/<name>.py --quick`: small sizes, one round, the same code paths):
it exits 0, its last line is the goals line of a quick run (bench/goals.py), and it leaves no vhost, database or
process behind -- also when it is stopped halfway. Timings are never asserted: they mean nothing in a quick run."""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import goals
from bench.resources import TAG_VARIABLE, Resources
from tests import support
from tests.unit.test_bench_docs import BENCHES

pytestmark = pytest.mark.integration

RUN_SECONDS = 300  # a quick run takes seconds; this only stops a hung one


def vhost_names(settings):
    """The broker's vhosts: the management API, else rabbitmqctl on this machine (as shared.broker creates them)."""
    url = make_url(settings.rabbit_management_url.replace("http://", "postgresql://", 1))
    try:
        vhosts = requests.get(
            f"http://{url.host}:{url.port or 15672}/api/vhosts",
            timeout=10,
            auth=(url.username or "guest", url.password or "guest"),
        )
        vhosts.raise_for_status()
        return [v["name"] for v in vhosts.json()]
    except requests.RequestException:
        done = subprocess.run(["rabbitmqctl", "-q", "list_vhosts"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"neither the management API nor rabbitmqctl lists the vhosts: {done.stderr}"
        return [line.strip() for line in done.stdout.splitlines() if line.strip() and line.strip() != "name"]


def leftovers(settings, tag):
    """Vhosts, databases and live processes that carry this run's tag."""
    found = [f"vhost {name}" for name in vhost_names(settings) if tag in name]
    engine = create_engine(make_url(settings.database_url).set(database="postgres"))
    with engine.connect() as conn:
        found += [
            f"database {name}"
            for name in conn.execute(
                text("SELECT datname FROM pg_database WHERE strpos(datname, :tag) > 0"), {"tag": tag}
            ).scalars()
        ]
    engine.dispose()
    marker = f"{TAG_VARIABLE}={tag}".encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if marker in f.read().split(b"\0"):
                    found.append(f"process {pid}")
        except OSError:
            continue
    return found


def start(name, tag, *args):
    return subprocess.Popen(
        [sys.executable, os.path.join("bench", name), *args],
        cwd=support.ROOT,
        env={**os.environ, TAG_VARIABLE: tag},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc, timeout=RUN_SECONDS):
    """Wait for a run; a hung one gets SIGTERM (it cleans up, bench/resources.py), then SIGKILL."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        pytest.fail(f"no result within {timeout} s; output:\n{out[-3000:]}\n{err[-3000:]}")


def wait_until_settled(settings, tag, seconds=10):
    """Leftovers after a short grace (a killed process disappears from /proc once reaped)."""
    deadline = time.monotonic() + seconds
    while True:
        found = leftovers(settings, tag)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


@pytest.mark.timeout(RUN_SECONDS + 120)
@pytest.mark.parametrize("name", BENCHES)
def test_quick_mode_runs_and_ends_with_its_goals(settings, name):
    tag = uuid.uuid4().hex[:12]
    proc = start(name, tag, "--quick")
    out, err = finish(proc)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out[-3000:]}\n{err[-3000:]}"
    last = out.strip().splitlines()[-1]
    quick, said = goals.parse(last)
    assert quick and said, last
    assert wait_until_settled(settings, tag) == []


def test_a_run_stopped_halfway_removes_what_it_started(settings):
    """A full-size run (minutes of work after its header line): the signal surely finds it halfway, where a quick
    run could have finished before it came."""
    tag = uuid.uuid4().hex[:12]
    proc = start("group.py", tag)
    try:
        for line in proc.stdout:  # the services run and the demo user is signed in
            if line.startswith("Group request benchmark"):
                break
        assert leftovers(settings, tag), "the run should hold a vhost, a database and processes by now"
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert wait_until_settled(settings, tag) == []


def test_resources_are_removed_when_the_benchmark_fails(settings, monkeypatch):
    tag = uuid.uuid4().hex[:12]
    monkeypatch.setenv(TAG_VARIABLE, tag)
    with pytest.raises(RuntimeError, match="bench failed"):
        with Resources(settings) as res:
            amqp_uri = res.vhost()
            res.database(seed=False)
            res.services({"AMQP_URI": amqp_uri}).start("flk")
            kinds = {found.split()[0] for found in leftovers(settings, tag)}
            assert kinds == {"vhost", "database", "process"}  # the flk process inherits the tag
            raise RuntimeError("bench failed")
    assert wait_until_settled(settings, tag) == []
