"""The gateway's web server: its port is its own (no SO_REUSEPORT), replies go out at once (TCP_NODELAY), a body
over its route's limit is refused before it is read, and the access log names clients by a keyed hash.

eventlet.listen sets SO_REUSEPORT by default, so a second copy of the service on the same address used to share
the port silently with the first; now it fails to start with «address already in use».


Without it a reply longer than one write (about 16 KiB: a journal page, a 50-row API page) waits ~40 ms
for the client's delayed ACK (Nagle's algorithm). nameko's WebServer is shared by every `http` route of a
service, whichever module declares it, so the option is set there once, at import of the gateway.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import eventlet
from nameko.web.server import HttpOnlyProtocol, WebServer

from shared import metrics
from shared.masking import address_tag

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CLOSE = "ozsp.close_connection"  # environ: call it to close the connection after this answer


def _mark(function: Callable[..., Any], name: str) -> None:
    """Flag a patch on the function itself: installed once, however often the gateway is imported."""
    vars(function)[name] = True


def install_exclusive_port() -> None:
    if getattr(WebServer.start, "exclusive", False):
        return

    def start(self: Any) -> None:
        if not self._starting:
            self._starting = True
            self._sock = eventlet.listen(self.bind_addr, reuse_port=False)
            self._sock.settimeout(None)  # as nameko does (kombu issue 838)
            self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
            self._gt = self.container.spawn_managed_thread(self.run)

    _mark(start, "exclusive")
    WebServer.start = start


def install_nodelay() -> None:
    original = WebServer.process_request
    if getattr(original, "nodelay", False):
        return

    def process_request(self: Any, sock: socket.socket, address: Any) -> Any:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not a TCP socket: nothing to tune
            pass
        return original(self, sock, address)

    _mark(process_request, "nodelay")
    WebServer.process_request = process_request


class Protocol(HttpOnlyProtocol):
    """eventlet's HTTP protocol with two changes: the application may close the connection once it has answered
    (environ[CLOSE]()), so the unread rest of a refused body is never read, and the access log shows a keyed hash
    of the client address."""

    def get_client_address(self) -> tuple[str, Any]:  # used only for eventlet's log lines
        host, port = super().get_client_address()
        return address_tag(host), port

    def handle_one_response(self) -> Any:
        self.environ[CLOSE] = lambda: setattr(self, "close_connection", 1)  # eventlet then sends Connection: close
        return super().handle_one_response()


def install_body_limits(refuse: Callable[[WSGIEnvironment], WSGIApplication | None]) -> None:
    """refuse(environ) -> a WSGI response for a request whose declared body is too large, else None; asked before
    nameko dispatches (so before anything reads the body)."""
    original_app, original_server = WebServer.get_wsgi_app, WebServer.get_wsgi_server
    if getattr(original_app, "limited", False):
        return

    def get_wsgi_app(self: Any) -> WSGIApplication:
        app = original_app(self)

        def limited(environ: WSGIEnvironment, answer: StartResponse) -> Iterable[bytes]:
            def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
                metrics.HTTP_REQUESTS.labels(status=status.split(" ", 1)[0]).inc()  # every answer, by its code
                return answer(status, headers, exc_info)

            refused = refuse(environ)
            if refused is None:
                return app(environ, start_response)
            environ.get(CLOSE, lambda: None)()
            return refused(environ, start_response)

        return limited

    def get_wsgi_server(
        self: Any, sock: Any, wsgi_app: WSGIApplication, protocol: type = Protocol, debug: bool = False
    ) -> Any:
        return original_server(self, sock, wsgi_app, protocol=protocol, debug=debug)

    _mark(get_wsgi_app, "limited")
    WebServer.get_wsgi_app, WebServer.get_wsgi_server = get_wsgi_app, get_wsgi_server
