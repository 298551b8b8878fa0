"""Replies of the gateway's web server go out at once (TCP_NODELAY on every accepted connection).

Without it a reply longer than one write (about 16 KiB: a journal page, a 50-row API page) waits ~40 ms
for the client's delayed ACK (Nagle's algorithm). nameko's WebServer is shared by every `http` route of a
service, whichever module declares it, so the option is set there once, at import of the gateway.
"""
import socket

from nameko.web.server import WebServer


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
