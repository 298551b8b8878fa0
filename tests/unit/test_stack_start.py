"""Before a stack starts (services.stackcheck, shared.broker) and when one of its processes dies (Backoff)."""

import io
import socket
import sys
import time

import pytest

from services import stackcheck
from services.supervisor import Backoff, Supervisor
from shared import broker, config


def test_make_run_uses_a_vhost_of_its_own():
    assert broker.vhost_of(config.Settings().amqp_uri) == "ozsp"


@pytest.mark.parametrize(
    "uri, vhost",
    [
        ("amqp://u:p@h:5672/ozsp", "ozsp"),
        ("amqp://u:p@h:5672/", "/"),
        ("amqp://u:p@h:5672", "/"),
        ("amqp://u:p@h:5672/%2F", "/"),
        ("amqp://u:p@h:5672/ozsp-2", "ozsp-2"),
    ],
)
def test_vhost_of(uri, vhost):
    assert broker.vhost_of(uri) == vhost


def test_with_vhost_keeps_the_broker_address():
    assert broker.with_vhost("amqp://u:p@h:5672/ozsp", "ozsp-2") == "amqp://u:p@h:5672/ozsp-2"


def test_a_listening_port_is_taken_and_a_free_one_is_not():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        address = f"127.0.0.1:{s.getsockname()[1]}"
        assert stackcheck.port_taken(address)
        taken = stackcheck.taken_ports({"веб-интерфейс, WEB_ADDRESS": address})
        assert taken == [("веб-интерфейс, WEB_ADDRESS", address)]
        message = stackcheck.ports_message(taken)
        assert f"Порт {address} (веб-интерфейс, WEB_ADDRESS) уже занят" in message
    assert not stackcheck.port_taken(address)


def test_a_port_shared_by_so_reuseport_still_counts_as_taken():
    # eventlet.listen used to set SO_REUSEPORT: a second server joined the first. Ours never does.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert stackcheck.port_taken(f"127.0.0.1:{s.getsockname()[1]}")


def test_conflict_message_names_both_databases_and_the_way_out():
    text = stackcheck.conflict_message("amqp://g:g@h:5672/ozsp", {"database": "ozsp_b"}, {"database": "ozsp"})
    assert "«ozsp»" in text and "«ozsp_b»" in text and "AMQP_URI=…/ozsp-2" in text


def test_backoff_doubles_to_the_cap_and_starts_again_after_a_stable_run():
    b = Backoff(first=1, cap=60, stable=60)
    assert [b.after(0.5) for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert b.after(61) == 1
    assert b.after(3) == 2


def test_supervisor_restarts_a_crashing_service_with_growing_delays_and_says_why():
    out = io.StringIO()
    crash = [sys.executable, "-c", "print('порт 8000 занят'); raise SystemExit(3)"]
    sup = Supervisor(restart=True, output=out, commands={"flk": crash}, backoff=(0.1, 0.4, 60))
    sup.start("flk")
    deadline = time.monotonic() + 20
    while out.getvalue().count("[supervisor]") < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    sup.stop()
    notes = [line for line in out.getvalue().splitlines() if line.startswith("[supervisor]")]
    assert len(notes) >= 5
    assert all("flk завершился с кодом 3; последняя строка: порт 8000 занят" in n for n in notes)
    delays = [n.rsplit("Перезапуск через ", 1)[1] for n in notes[:5]]
    assert delays == ["100 мс", "200 мс", "400 мс", "400 мс", "400 мс"]


def test_a_stopped_supervisor_restarts_nothing():
    out = io.StringIO()
    sup = Supervisor(
        restart=True, output=out, commands={"flk": [sys.executable, "-c", "raise SystemExit(1)"]}, backoff=(5, 5, 60)
    )
    proc = sup.start("flk")
    proc.wait()
    time.sleep(0.3)
    started = time.monotonic()
    sup.stop()
    assert time.monotonic() - started < 2, "stop does not wait out the restart delay"
    assert sup.procs["flk"] is proc
