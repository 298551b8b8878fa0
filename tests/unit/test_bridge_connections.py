"""Stale kept-alive connections to ФЕРЗЛ (connections.py), against a scripted server behind the loopback TCP
proxy (tests/tcp_proxy.py): idle ones expire, dead ones are dropped before use, a reset or a black hole on a
reused connection costs one repeated attempt on a new one (with a note for the archive), a busy connection is
never given the short wait, several errors in a row close the whole pool. No broker, no emulator."""

import select
import socket
import threading
import time

import pytest

from services.ferzl_bridge import connections as C
from services.ferzl_bridge.archive import Capture
from services.ferzl_bridge.client import FerzlClient
from services.ferzl_bridge.connections import Connections
from tests.support import free_port
from tests.tcp_proxy import TcpProxy
from tests.unit.test_bridge_http import Server, ok


class Clock:
    """A monotonic clock the test moves: idle ages without sleeping."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def answers(n, delay=0.0):
    def answer(conn):
        time.sleep(delay)
        conn.sendall(ok(b"<answer/>"))

    return [answer] * n


@pytest.fixture
def proxied():
    """(server, proxy, url through the proxy); the server answers 20 calls."""
    server = Server(answers(20))
    proxy = TcpProxy.before(server.url)
    yield server, proxy, proxy.url(server.url)
    proxy.close()
    server.close()


def pool(url, clock=None, **options):
    options = {"timeout": 5, "connect_timeout": 0.5, **options}
    return Connections(url, clock=clock or Clock(), **options)


def notes(capture):
    return [e["note"] for e in capture.entries("getPersonData", [1])]


def test_an_idle_connection_older_than_idle_seconds_is_closed_not_reused(proxied):
    server, proxy, url = proxied
    clock = Clock()
    p = pool(url, clock, idle_seconds=50)
    p.post(b"x", {})
    clock.now += 49
    p.post(b"x", {})
    assert server.connections == 1, "reused within idle_seconds"
    clock.now += 51
    capture = Capture()
    assert p.post(b"x", {}, capture)[0] == 200
    assert server.connections == 2 and p.metrics["expired"] == 1
    assert notes(capture) == [None], "an expired connection costs no attempt"


def test_a_connection_closed_or_reset_while_idle_is_dropped_before_use(proxied):
    server, proxy, url = proxied
    p = pool(url)
    for fault in (proxy.close_idle, proxy.reset_now):
        p.post(b"x", {})
        assert fault() == 1
        readable, _, _ = select.select([p.idle[-1].sock], [], [], 10)  # the FIN or RST has reached us
        assert readable, "the proxy's fault never reached the pooled connection"
        capture = Capture()
        assert p.post(b"x", {}, capture)[0] == 200
        assert notes(capture) == [None], "found dead while idle: no failed attempt"
    assert p.metrics["dead"] == 2 and p.metrics["repeated"] == 0


def test_a_reset_on_the_next_send_is_repeated_once_on_a_new_connection(proxied):
    server, proxy, url = proxied
    p = pool(url)
    p.post(b"x", {})
    proxy.reset()
    capture = Capture()
    started = time.monotonic()
    assert p.post(b"y", {}, capture)[:2] == (200, b"<answer/>")
    assert time.monotonic() - started < 0.5
    assert notes(capture) == [
        "соединение сброшено; запрос повторён на новом соединении",
        "повтор на новом соединении: соединение сброшено",
    ]
    assert [e["http_status"] for e in capture.entries("op", [1])] == [None, 200]
    assert len(server.requests) == 2 and proxy.counts["reset"] == 1 and p.metrics["repeated"] == 1


def test_a_black_hole_on_a_reused_idle_connection_costs_connect_timeout_not_the_read_timeout(proxied):
    server, proxy, url = proxied
    clock = Clock()
    p = pool(url, clock, timeout=30, connect_timeout=0.5)
    p.post(b"x", {})
    proxy.blackhole()
    clock.now += C.SUSPECT_IDLE + 4
    capture = Capture()
    started = time.monotonic()
    assert p.post(b"y", {}, capture)[0] == 200
    assert 0.4 < time.monotonic() - started < 1.5
    assert notes(capture) == [
        "нет ответа за 0.5 с на соединении, простоявшем 5 с; запрос повторён на новом соединении",
        "повтор на новом соединении: нет ответа за 0.5 с на соединении, простоявшем 5 с",
    ]
    assert proxy.counts["swallowed"] == 1 and len(server.requests) == 2


def test_a_slow_answer_is_never_cut():
    """On a busy reused connection and on a new one the answer gets the whole read timeout; on a reused idle one
    it is asked again on a new connection, which gets the whole read timeout."""
    server = Server(answers(5, delay=0.8))
    clock = Clock()
    p = pool(server.url, clock, timeout=5, connect_timeout=0.3)
    assert p.post(b"x", {})[0] == 200  # a new connection: 0.8 s is fine
    capture = Capture()
    assert p.post(b"x", {}, capture)[0] == 200  # reused at once (busy): waits
    assert notes(capture) == [None] and server.connections == 1
    clock.now += 10
    capture = Capture()
    assert p.post(b"x", {}, capture)[0] == 200  # reused after 10 s idle: asked again, answered
    assert notes(capture)[1] == "повтор на новом соединении: нет ответа за 0.3 с на соединении, простоявшем 10 с"
    server.close()


def test_a_read_timeout_on_a_busy_connection_is_not_repeated(proxied):
    server, proxy, url = proxied
    p = pool(url, timeout=0.5)
    p.post(b"x", {})
    proxy.blackhole()
    capture = Capture()
    with pytest.raises(TimeoutError):
        p.post(b"y", {}, capture)
    assert notes(capture) == [None] and p.metrics["repeated"] == 0


def test_errors_in_a_row_close_the_whole_pool():
    server = Server(answers(20, delay=0.3))  # slow: five calls at once need five connections
    proxy = TcpProxy.before(server.url)
    p = pool(proxy.url(server.url))
    threads = [threading.Thread(target=p.post, args=(b"x", {})) for _ in range(5)]
    for t in threads:  # five calls at once: five connections
        t.start()
    for t in threads:
        t.join()
    assert len(p.idle) == 5
    proxy.reset()
    proxy.target = ("127.0.0.1", free_port())  # new connections fail too
    with pytest.raises(OSError):
        p.post(b"y", {})  # the reused one reset, the new one refused: 2 errors
    assert len(p.idle) == 4
    with pytest.raises(OSError):
        p.post(b"y", {})  # the third error: the other three idle connections closed
    assert p.idle == [] and p.metrics["dropped"] == 3
    proxy.close()
    server.close()


def test_new_connections_use_the_connect_timeout_keepalive_and_a_user_timeout(monkeypatch, proxied):
    server, proxy, url = proxied
    seen = []
    real = socket.create_connection
    monkeypatch.setattr(
        socket,
        "create_connection",
        lambda address, timeout: seen.append((address[1], timeout)) or real(address, timeout),
    )
    p = pool(url, timeout=30, connect_timeout=2)
    p.post(b"x", {})
    conn = p.idle[0]
    assert (proxy.port, 2) in seen and conn.sock.gettimeout() == 30
    assert conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    if hasattr(socket, "TCP_USER_TIMEOUT"):
        assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 2000
    assert Connections(url, timeout=1, connect_timeout=5).connect_timeout == 1, "never above the read timeout"


def test_zeep_calls_go_over_the_same_pool(proxied):
    server, proxy, url = proxied
    client = FerzlClient(url, "token", timeout=5, connect_timeout=0.5)
    transport = client.zeep.transport
    reply = transport.post(url, b"<x/>", {"SOAPAction": '"a"'})
    assert reply.status_code == 200 and reply.headers["content-type"] == "text/xml"
    proxy.reset()
    capture = Capture()
    transport.local.capture = capture
    assert transport.post(url, b"<y/>", {}).content == b"<answer/>"
    assert notes(capture)[1] == "повтор на новом соединении: соединение сброшено"
    assert b"X-Auth-Token: token" in server.requests[-1][0] and transport.metrics()["repeated"] == 1
