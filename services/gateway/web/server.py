"""The gateway's web server: its port is its own (no SO_REUSEPORT), replies go out at once (TCP_NODELAY), a body
over its route's limit is refused before it is read, and the access log names clients by a keyed hash.

eventlet.listen sets SO_REUSEPORT by default, so a second copy of the service on the same address used to share
the port silently with the first; now it fails to start with «address already in use».


Without it a reply longer than one write (about 16 KiB: a journal page, a 50-row API page) waits ~40 ms
for the client's delayed ACK (Nagle's algorithm). nameko's WebServer is shared by every `http` route of a
service, whichever module declares it, so the option is set there once, at import of the gateway.
"""

import socket

import eventlet
from nameko.web.server import HttpOnlyProtocol, WebServer

from shared.masking import address_tag

CLOSE = "ozsp.close_connection"  # environ: call it to close the connection after this answer


def install_exclusive_port():
    if getattr(WebServer.start, "exclusive", False):
        return

    def start(self):
        if not self._starting:
            self._starting = True
            self._sock = eventlet.listen(self.bind_addr, reuse_port=False)
            self._sock.settimeout(None)  # as nameko does (kombu issue 838)
            self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
            self._gt = self.container.spawn_managed_thread(self.run)

    start.exclusive = True
    WebServer.start = start


def install_nodelay():
    original = WebServer.process_request
    if getattr(original, "nodelay", False):
        return

    def process_request(self, sock, address):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not a TCP socket: nothing to tune
            pass
        return original(self, sock, address)

    process_request.nodelay = True
    WebServer.process_request = process_request


class Protocol(HttpOnlyProtocol):
    """eventlet's HTTP protocol with two changes: the application may close the connection once it has answered
    (environ[CLOSE]()), so the unread rest of a refused body is never read, and the access log shows a keyed hash
    of the client address."""

    def get_client_address(self):  # used only for eventlet's log lines
        host, port = super().get_client_address()
        return address_tag(host), port

    def handle_one_response(self):
        self.environ[CLOSE] = lambda: setattr(self, "close_connection", 1)  # eventlet then sends Connection: close
        return super().handle_one_response()


def install_body_limits(refuse):
    """refuse(environ) -> a WSGI response for a request whose declared body is too large, else None; asked before
    nameko dispatches (so before anything reads the body)."""
    original_app, original_server = WebServer.get_wsgi_app, WebServer.get_wsgi_server
    if getattr(original_app, "limited", False):
        return

    def get_wsgi_app(self):
        app = original_app(self)

        def limited(environ, start_response):
            refused = refuse(environ)
            if refused is None:
                return app(environ, start_response)
            environ.get(CLOSE, lambda: None)()
            return refused(environ, start_response)

        return limited

    def get_wsgi_server(self, sock, wsgi_app, protocol=Protocol, debug=False):
        return original_server(self, sock, wsgi_app, protocol=protocol, debug=debug)

    get_wsgi_app.limited = True
    WebServer.get_wsgi_app, WebServer.get_wsgi_server = get_wsgi_app, get_wsgi_server
