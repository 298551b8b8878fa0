"""The bridge's one HTTP stack to ФЕРЗЛ (the fast path, zeep's calls and the mass service): HTTP/1.1 over
kept-alive sockets, just what a SOAP POST needs, and a pool in which a stale connection costs at most one
extra attempt, never a lookup.

Pooled connections go bad while they wait: the server or a firewall closes them (FIN), resets them, or forgets
them silently (a black hole: what is sent is lost, nothing comes back). The rules (docs/decisions.md, «Stale
ФЕРЗЛ connections»):
  * a connection idle longer than `idle_seconds` is closed, not reused; one the peer closed or reset while it
    waited (readable while idle) is dropped before use;
  * a call that fails on a reused connection before the answer's head arrived -- reset, broken pipe, EOF, the
    kernel giving up on bytes never acknowledged -- is repeated at once, once, on a new connection: ФЕРЗЛ
    look-ups are reads, safe to repeat; only a failure there counts;
  * a reused connection idle for SUSPECT_IDLE or more must bring the answer's head within `connect_timeout`,
    as a new connection must connect within it; else the call is repeated on a new connection, which waits the
    full read timeout: a black hole costs seconds, a long real answer is still received;
  * after DROP_AFTER connection errors in a row every idle connection is closed;
  * a new connection: `connect_timeout` for TCP (and TLS), `timeout` for reading, TCP keepalive, and
    TCP_USER_TIMEOUT (Linux) so that bytes never acknowledged end it after `connect_timeout`.
Every attempt goes into the call's archive capture; a repeated one says why (in Russian, for support).

http.client parses every header block with the email package, which costs more CPU per call than the whole
exchange here; this is the hot path of the bridge.
"""

import errno
import logging
import socket
import ssl
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from services.ferzl_bridge.archive import Capture
from services.ferzl_bridge.errors import FerzlUnavailable
from shared.config import Settings

log = logging.getLogger(__name__)

IDLE_SECONDS = Settings.ferzl_idle_seconds  # below common firewall and server keep-alive timeouts
SUSPECT_IDLE = 1.0  # a reused connection idle this long gets the short wait for the answer's head
DROP_AFTER = 3  # connection errors in a row after which every idle connection is closed
KEEPALIVE = (15, 5, 3)  # seconds idle before the first probe, seconds between probes, probes
TIMEOUT = "ФЕРЗЛ не ответил за отведённое время"
NO_CONNECTION = "Нет соединения с ФЕРЗЛ"
REPEATED = "запрос повторён на новом соединении"


def _original_poll() -> Callable[[], Any]:
    """select.poll as it was: eventlet's monkey patching removes it from the select module."""
    if "eventlet" in sys.modules:
        from eventlet.patcher import original

        return original("select").poll
    import select

    return select.poll


_poll = _original_poll()
_POLLIN = 1  # select.POLLIN


class Closed(ConnectionError):
    """The server closed the connection before a whole answer arrived."""


class Connection:
    """One keep-alive HTTP/1.1 connection (Content-Length or chunked answers)."""

    MAX_HEAD, MAX_BODY = 64 * 1024, 64 * 1024 * 1024

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float,
        context: ssl.SSLContext | None = None,
        connect_timeout: float | None = None,
    ) -> None:
        connect_timeout = connect_timeout or timeout
        sock = socket.create_connection((host, port), timeout=connect_timeout)
        _tune(sock, connect_timeout)
        if context:
            sock = context.wrap_socket(sock, server_hostname=host)  # the handshake within connect_timeout too
        sock.settimeout(timeout)
        self.sock, self.timeout = sock, timeout
        self.buffer = b""
        self.answered = False  # the head of the current answer has arrived
        self.idle_since = 0.0

    def exchange(self, request: bytes, head_within: float | None = None) -> tuple[int, bytes, bool, dict[bytes, bytes]]:
        """Send one request (head and body bytes); -> (status, body, keep_alive, headers). head_within: seconds
        the answer's status line and headers may take (then the read timeout again)."""
        sock = self.sock
        self.answered = False
        if head_within is not None:
            sock.settimeout(head_within)
        sock.sendall(request)
        while True:
            head = self._until(b"\r\n\r\n", self.MAX_HEAD)
            lines = head.split(b"\r\n")
            version, _, rest = lines[0].partition(b" ")
            status = int(rest[:3])
            if status >= 200:
                break  # 1xx: an interim answer, the real one follows
        self.answered = True
        if head_within is not None:
            sock.settimeout(self.timeout)
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        keep = version == b"HTTP/1.1" and b"close" not in headers.get(b"connection", b"").lower()
        if status in (204, 304):
            body = b""
        elif b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            body = self._chunked()
        elif b"content-length" in headers:
            body = self._exactly(int(headers[b"content-length"]))
        else:
            body, keep = self._to_close(), False
        return status, body, keep, headers

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise Closed("connection closed by the server")
        return data

    def _until(self, marker: bytes, limit: int) -> bytes:
        while marker not in self.buffer:
            if len(self.buffer) > limit:
                raise ValueError("HTTP header too long")
            self.buffer += self._recv()
        found, _, self.buffer = self.buffer.partition(marker)
        return found

    def _exactly(self, size: int) -> bytes:
        if size > self.MAX_BODY:
            raise ValueError("HTTP body too long")
        while len(self.buffer) < size:
            self.buffer += self._recv()
        found, self.buffer = self.buffer[:size], self.buffer[size:]
        return found

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size = int(self._until(b"\r\n", 1024).split(b";")[0], 16)
            if size == 0:
                while self._until(b"\r\n", self.MAX_HEAD):  # trailers, up to an empty line
                    pass
                return b"".join(parts)
            total += size
            parts.append(self._exactly(size) if total <= self.MAX_BODY else self._exactly(self.MAX_BODY + 1))
            self._exactly(2)

    def _to_close(self) -> bytes:
        parts = [self.buffer]
        self.buffer = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return b"".join(parts)
            parts.append(data)

    def dead(self) -> bool:
        """True when the peer closed or reset the connection while it was idle (or sent something unasked)."""
        poller = _poll()
        poller.register(self.sock.fileno(), _POLLIN)
        return bool(poller.poll(0))

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _tune(sock: socket.socket, connect_timeout: float) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    if hasattr(socket, "TCP_KEEPIDLE"):
        for option, value in zip(("TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT"), KEEPALIVE):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)
    if hasattr(socket, "TCP_USER_TIMEOUT"):  # bytes unacknowledged this long: the kernel ends the connection
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, max(1000, int(connect_timeout * 1000)))


def stale(exc: BaseException, conn: Connection, head_within: float | None, idle: float) -> str | None:
    """Why a reused connection failed as a stale one (Russian, for the archive), or None: then the failure is
    ФЕРЗЛ's or the network's and is not repeated."""
    if conn.answered:
        return None  # the answer had begun: not a connection that was dead before the call
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError)):
        return "соединение сброшено"
    if isinstance(exc, BrokenPipeError):
        return "соединение разорвано (broken pipe)"
    if isinstance(exc, (Closed, ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return "соединение закрыто или сброшено до ответа"  # eventlet reads a reset as an end of file
    if isinstance(exc, TimeoutError):
        if exc.errno == errno.ETIMEDOUT:  # TCP_USER_TIMEOUT: the bytes sent were never acknowledged
            return "отправленные данные не подтверждены (соединение потеряно)"
        if head_within is not None:
            return f"нет ответа за {head_within:g} с на соединении, простоявшем {idle:.0f} с"
    return None


class Connections:
    """A pool of kept-alive connections to one URL (green under eventlet monkey patching: no locks needed,
    the list is changed only between I/O)."""

    def __init__(
        self,
        url: str,
        timeout: float,
        size: int = 100,
        context: ssl.SSLContext | None = None,
        connect_timeout: float | None = None,
        idle_seconds: float = IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        self.host, self.port = parts.hostname or "", parts.port or (443 if https else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.context = context if context is not None else (ssl.create_default_context() if https else None)
        self.timeout, self.size = timeout, size
        self.connect_timeout = min(connect_timeout or timeout, timeout)
        self.idle_seconds, self.clock = idle_seconds, clock
        self.idle: list[Connection] = []  # oldest first: a connection is appended when it is given back
        self.errors_in_row = 0
        self.metrics: Counter[str] = Counter()  # opened, repeated, expired, dead, dropped

    def head(self, headers: Mapping[str, str], length: int) -> bytes:
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            *(f"{k}: {v}" for k, v in headers.items()),
            f"Content-Length: {length}",
            "",
            "",
        ]
        return "\r\n".join(lines).encode("latin-1")

    def post(
        self, body: bytes, headers: Mapping[str, str], capture: Capture | None = None
    ) -> tuple[int, bytes, dict[bytes, bytes]]:
        """-> (status, body bytes, headers {lower-case bytes: bytes}). Raises OSError (TimeoutError when the
        answer did not come in time), ValueError or IndexError (not an HTTP answer). Each attempt is added to
        capture (an archive.Capture) when given."""
        request = self.head(headers, len(body)) + body
        conn, note = self._pooled(), None
        if conn is not None:
            started = self.clock()
            idle = started - conn.idle_since
            head_within = self.connect_timeout if idle >= SUSPECT_IDLE else None
            try:
                status, data, answer = self._use(conn, request, head_within)
            except Exception as exc:
                why = stale(exc, conn, head_within, idle)
                _record(capture, body, None, None, started, self.clock(), why and f"{why}; {REPEATED}")
                if why is None:
                    raise
                self.metrics["repeated"] += 1
                note = f"повтор на новом соединении: {why}"
            else:
                _record(capture, body, data, status, started, self.clock(), None)
                return status, data, answer
        started = self.clock()
        try:
            status, data, answer = self._use(None, request, None)
        except BaseException:
            _record(capture, body, None, None, started, self.clock(), note)
            raise
        _record(capture, body, data, status, started, self.clock(), note)
        return status, data, answer

    def _use(
        self, conn: Connection | None, request: bytes, head_within: float | None
    ) -> tuple[int, bytes, dict[bytes, bytes]]:
        try:
            if conn is None:
                conn = Connection(self.host, self.port, self.timeout, self.context, self.connect_timeout)
                self.metrics["opened"] += 1
            status, data, keep, headers = conn.exchange(request, head_within)
        except BaseException as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, OSError):
                self._failed()
            raise
        self.errors_in_row = 0
        if keep and len(self.idle) < self.size:
            conn.idle_since = self.clock()
            self.idle.append(conn)
        else:
            conn.close()
        return status, data, headers

    def _pooled(self) -> Connection | None:
        """The most recently used idle connection fit for another call, or None."""
        idle = self.idle
        if not idle:
            return None
        now = self.clock()
        if now - idle[0].idle_since > self.idle_seconds:
            self._expire(now)
        while idle:
            conn = idle.pop()
            if not conn.dead():
                return conn
            self.metrics["dead"] += 1
            conn.close()
        return None

    def _expire(self, now: float) -> None:
        idle = self.idle
        old = 0
        while old < len(idle) and now - idle[old].idle_since > self.idle_seconds:
            idle[old].close()
            old += 1
        del idle[:old]
        self.metrics["expired"] += old

    def _failed(self) -> None:
        self.errors_in_row += 1
        if self.errors_in_row >= DROP_AFTER and self.idle:
            self.metrics["dropped"] += len(self.idle)
            log.info(
                "%d connection errors in a row: %d idle connections to %s:%s closed",
                self.errors_in_row,
                len(self.idle),
                self.host,
                self.port,
            )
            self.drop()

    def drop(self) -> None:
        """Close every idle connection."""
        idle, self.idle = self.idle, []
        for conn in idle:
            conn.close()


def _record(
    capture: Capture | None,
    body: bytes,
    data: bytes | None,
    status: int | None,
    started: float,
    ended: float,
    note: str | None,
) -> None:
    if capture is not None:
        capture.add(body, data, status, (ended - started) * 1000, note)


def send(
    connections: Connections, body: bytes, headers: Mapping[str, str], capture: Capture | None = None
) -> tuple[int, bytes, dict[bytes, bytes]]:
    """connections.post with its failures as FerzlUnavailable ("timeout" or "connection")."""
    try:
        return connections.post(body, headers, capture)
    except TimeoutError:
        raise FerzlUnavailable("timeout", TIMEOUT) from None
    except (OSError, ValueError, IndexError):  # no connection, or not an HTTP answer
        raise FerzlUnavailable("connection", NO_CONNECTION) from None


def one_line(value: str, name: str) -> str:
    """A header value as given, refused when it could inject headers (a token read from the environment)."""
    if any(c in str(value) for c in "\r\n"):
        raise ValueError(f"{name} must be one line")
    return value
