"""The gateway's web server: its port is its own (no SO_REUSEPORT), and replies go out at once (TCP_NODELAY).

eventlet.listen sets SO_REUSEPORT by default, so a second copy of the service on the same address used to share
the port silently with the first; now it fails to start with «address already in use».


Without it a reply longer than one write (about 16 KiB: a journal page, a 50-row API page) waits ~40 ms
for the client's delayed ACK (Nagle's algorithm). nameko's WebServer is shared by every `http` route of a
service, whichever module declares it, so the option is set there once, at import of the gateway.
"""
import socket

import eventlet
from nameko.web.server import WebServer


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
