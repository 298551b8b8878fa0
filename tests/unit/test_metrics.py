"""shared/metrics.py: the endpoint of a process (first free port of its range, off with METRICS_COPIES=0, never
failing a start) and the names it shows."""

import socket
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared import metrics
from shared.config import Settings
from tests.support import free_port


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return {s.name for family in text_string_to_metric_families(r.read().decode()) for s in family.samples}


@pytest.fixture
def base():
    """A port p with p+1 free too (best effort: free_port asks the system)."""
    for _ in range(50):
        p = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p + 1))
            except OSError:
                continue
        return p
    pytest.fail("no two free ports in a row")


def test_a_second_copy_takes_the_next_port(base):
    settings = Settings(metrics_port_flk=base, metrics_copies=2)
    first = metrics.serve(settings, "flk")
    second = metrics.serve(settings, "flk")
    try:
        assert first.server_address[1] == base and second.server_address[1] == base + 1
        metrics.FLK_ROWS.inc(3)
        assert "ozsp_flk_rows_total" in scrape(base + 1)
        assert metrics.serve(settings, "flk") is None  # both ports taken: no endpoint, no failure
    finally:
        metrics.stop(first)
        metrics.stop(second)


def test_copies_zero_serves_nothing(base):
    assert metrics.serve(Settings(metrics_port_journal=base, metrics_copies=0), "journal") is None
    with socket.socket() as s:
        s.bind(("127.0.0.1", base))  # still free


def test_every_service_has_its_own_port():
    ports = [metrics.port_of(Settings(), s) for s in ("gateway", "flk", "journal", "ferzl_bridge", "certmail")]
    ports.append(metrics.port_of(Settings(), "certmail_intake"))
    copies = Settings().metrics_copies
    assert all(b - a >= copies for a, b in zip(sorted(ports), sorted(ports)[1:])), ports


def test_exposed_names_follow_prometheus_suffixes():
    names = metrics.exposed_names()
    assert {"ozsp_ferzl_calls_total", "ozsp_ferzl_call_seconds_bucket", "ozsp_dispatch_backlog"} <= names
    assert "ozsp_ferzl_calls" not in names


def test_circuit_gauge_marks_one_state():
    metrics.set_circuit("down")
    values = {s: metrics.FERZL_CIRCUIT.labels(state=s)._value.get() for s in metrics.CIRCUIT_STATES}
    assert values == {"up": 0, "degraded": 0, "down": 1}
