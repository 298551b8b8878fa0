"""Container healthchecks: the nameko heartbeat (shared/heartbeat.py) and the probes of `python -m shared.health`."""

import os
import socket
import subprocess
import sys
import threading
import time

import eventlet
from nameko.containers import ServiceContainer

from shared import health
from shared.heartbeat import Heartbeat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Beating:
    name = "beating"
    heartbeat = Heartbeat()


def container_of(heartbeat_file):
    container = ServiceContainer(Beating, config={"AMQP_URI": "memory://", "HEARTBEAT_FILE": heartbeat_file})
    provider = next(d for d in container.dependencies if isinstance(d, Heartbeat))
    provider.interval = 0.05
    return container, provider


def run_container(heartbeat_file, seconds):
    container, provider = container_of(heartbeat_file)
    container.start()
    try:
        eventlet.sleep(seconds)
    finally:
        container.stop()
    return provider


def test_a_service_touches_its_heartbeat_file_from_its_own_green_thread(tmp_path):
    path = tmp_path / "heartbeat"
    container, _ = container_of(str(path))
    container.start()
    try:
        eventlet.sleep(0.02)
        first = path.stat().st_mtime_ns
        eventlet.sleep(0.2)
        assert path.stat().st_mtime_ns > first  # touched again, not just created
    finally:
        container.stop()
    stopped = path.stat().st_mtime_ns
    eventlet.sleep(0.15)
    assert path.stat().st_mtime_ns == stopped  # a stopped service no longer beats


def test_no_heartbeat_file_without_the_setting(tmp_path):
    provider = run_container("", 0.1)
    assert provider._thread is None and not os.listdir(tmp_path)


def test_a_heartbeat_that_cannot_be_written_warns_once_and_keeps_the_service(tmp_path, caplog):
    run_container(str(tmp_path / "missing" / "heartbeat"), 0.2)
    warnings = [r for r in caplog.records if "cannot be touched" in r.getMessage()]
    assert len(warnings) == 1


def test_the_check_says_fresh_and_stale(tmp_path, capsys):
    path = tmp_path / "heartbeat"
    assert health.main(["heartbeat", str(path)]) == 1
    assert "нет" in capsys.readouterr().out
    health.touch(path)
    assert health.main(["heartbeat", str(path), "--max-age", "30"]) == 0
    assert "жив" in capsys.readouterr().out
    os.utime(path, (time.time() - 45, time.time() - 45))
    assert health.main(["heartbeat", str(path), "--max-age", "30"]) == 1
    assert "не обновлялся 45 с (допустимо 30 с)" in capsys.readouterr().out


def test_the_compose_command_itself_runs_with_nothing_but_python(tmp_path):
    path = tmp_path / "heartbeat"
    health.touch(path)
    command = [sys.executable, "-m", "shared.health", "heartbeat", str(path), "--max-age", "30"]
    fresh = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "Eventlet" not in fresh.stderr  # no nameko on the probe's path
    os.utime(path, (0, 0))
    assert subprocess.run(command, cwd=ROOT, capture_output=True, timeout=30).returncode == 1


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server(answer):
    """A one-connection TCP server on a real thread: answer(None) is sent on connect, answer(what came) after.
    Plain sockets: once nameko.web is imported, http.server and socketserver use eventlet's green sockets."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve():
        conn, _ = listener.accept()
        with conn:
            greeting = answer(None)
            if greeting:
                conn.sendall(greeting)
            reply = answer(conn.recv(1024))
            if reply:
                conn.sendall(reply)
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"127.0.0.1:{listener.getsockname()[1]}"


def web(status):
    return "http://" + server(lambda got: None if got is None else f"HTTP/1.0 {status} X\r\n\r\n".encode())


def test_http_probe():
    assert health.check_http(web(200) + "/api/v1/health")[0]
    assert not health.check_http(web(503) + "/api/v1/health")[0]
    assert not health.check_http(f"http://127.0.0.1:{closed_port()}/", timeout=2)[0]


def smtp(greeting):
    return server(lambda got: greeting if got is None else (b"221 bye\r\n" if got.upper().startswith(b"QUIT") else b""))


def test_smtp_probe_reads_the_greeting():
    assert health.check_smtp(smtp(b"220 ozsp-certmail ESMTP\r\n"))[0]
    assert not health.check_smtp(smtp(b"554 no service\r\n"))[0]
    assert not health.check_smtp(f"127.0.0.1:{closed_port()}", timeout=2)[0]
