"""The fast path's HTTP/1.1 exchange against a scripted socket server: Content-Length, chunked bodies,
interim answers, keep-alive reuse, a server that closed a kept-alive connection, timeouts, refusals."""

import socket
import threading
import time

import pytest

from services.ferzl_bridge.connections import Connections
from services.ferzl_bridge.errors import FerzlAuthError, FerzlRejected, FerzlUnavailable
from services.ferzl_bridge.fast import FastClient


class Server:
    """Accepts connections; answers each request on a connection with the next scripted answer.
    An answer is raw bytes, or a callable(sock) for odd behaviour."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests, self.connections = [], 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/soap/endpoint"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn):
        data = b""
        with conn:
            while self.answers:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                length = int(
                    [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0].split(b":")[1]
                )
                while len(data) < length:
                    data += conn.recv(65536)
                self.requests.append((head, data[:length]))
                data = data[length:]
                answer = self.answers.pop(0)
                if callable(answer):
                    if answer(conn) == "close":
                        return
                else:
                    conn.sendall(answer)

    def close(self):
        self.sock.close()


def ok(body=b"<ok/>", extra=b""):
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body


def post(server, body=b"<request/>", headers=None):
    return Connections(server.url, timeout=2).post(body, headers or {"SOAPAction": '"x"'})[:2]


def test_content_length_and_the_request_sent():
    server = Server([ok(b"<answer>\xd0\xa2</answer>")])
    assert post(server, b"<r>1</r>", {"X-Auth-Token": "t"}) == (200, b"<answer>\xd0\xa2</answer>")
    head, body = server.requests[0]
    assert head.startswith(b"POST /soap/endpoint HTTP/1.1\r\nHost: 127.0.0.1:") and b"X-Auth-Token: t" in head
    assert body == b"<r>1</r>"


def test_chunked_body_with_trailers_and_an_interim_answer():
    answer = (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\n<ok>a\r\n7\r\nbc</ok>\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    assert post(Server([answer])) == (200, b"<ok>abc</ok>")


def test_answers_split_into_small_packets():
    def slowly(conn):
        for byte in ok(b"<slow/>"):
            conn.sendall(bytes([byte]))

    assert post(Server([slowly])) == (200, b"<slow/>")


def test_keep_alive_reuses_one_connection_and_close_is_honoured():
    server = Server([ok(b"1"), ok(b"2"), ok(b"3", b"Connection: close\r\n"), ok(b"4")])
    pool = Connections(server.url, timeout=2)
    assert [pool.post(b"x", {})[1] for _ in range(3)] == [b"1", b"2", b"3"]
    assert server.connections == 1 and pool.idle == []
    assert pool.post(b"x", {})[1] == b"4" and server.connections == 2


def test_http_1_0_body_up_to_the_close_and_no_body_for_204():
    def old(conn):
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n<old/>")
        return "close"

    assert post(Server([old])) == (200, b"<old/>")
    assert post(Server([b"HTTP/1.1 204 No Content\r\n\r\n"])) == (204, b"")


def test_a_kept_alive_connection_the_server_closed_is_retried_once_on_a_new_one():
    def closing(conn):
        conn.sendall(ok(b"first"))
        return "close"

    server = Server([closing, ok(b"second")])
    pool = Connections(server.url, timeout=2)
    assert pool.post(b"x", {})[:2] == (200, b"first")
    time.sleep(0.05)
    assert pool.post(b"x", {})[:2] == (200, b"second") and server.connections == 2


def test_failures_become_ferzl_errors():
    def hang(conn):
        time.sleep(1.5)

    client = FastClient(Server([hang]).url, "t", timeout=0.3)
    with pytest.raises(FerzlUnavailable) as exc:
        client.exchange(b"<x/>")
    assert exc.value.code == "timeout"

    def cut(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
        return "close"

    with pytest.raises(FerzlUnavailable) as exc:
        FastClient(Server([cut]).url, "t", timeout=2).exchange(b"<x/>")
    assert exc.value.code == "connection"
    with pytest.raises(FerzlUnavailable) as exc:
        FastClient(Server([b"garbage\r\n\r\n"]).url, "t", timeout=2).exchange(b"<x/>")
    assert exc.value.code == "connection"
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    with pytest.raises(FerzlUnavailable) as exc:
        FastClient(f"http://127.0.0.1:{port}/x", "t", timeout=2).exchange(b"<x/>")
    assert exc.value.code == "connection"


@pytest.mark.parametrize(
    "status, kind, code",
    [
        (401, FerzlAuthError, "401"),
        (403, FerzlAuthError, "403"),
        (400, FerzlRejected, "400"),
        (503, FerzlUnavailable, "503"),
        (429, FerzlUnavailable, "429"),
        (500, FerzlUnavailable, "500"),
    ],
)
def test_http_statuses(status, kind, code):
    fault = (
        b"<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body><s:Fault>"
        b"<faultcode>s:Client</faultcode><faultstring>Bad</faultstring></s:Fault></s:Body></s:Envelope>"
    )
    answer = b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n" % (status, len(fault)) + fault
    with pytest.raises(kind) as exc:
        FastClient(Server([answer]).url, "t", timeout=2).exchange(b"<x/>")
    assert exc.value.code == code


def test_a_token_cannot_inject_headers():
    with pytest.raises(ValueError):
        FastClient("http://127.0.0.1:1/x", "t\r\nX-Evil: 1")
