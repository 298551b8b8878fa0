"""A TCP proxy on the loopback for tests: forwards every connection to a target, and breaks the connections it
holds at a given moment the way a firewall or a load balancer does to idle keep-alive connections:

  reset()       -- they are reset when the client next sends (the state is forgotten; the next packet meets RST);
  reset_now()   -- they are reset at once;
  blackhole()   -- they accept the client's bytes and drop them, and send nothing, ever (silently forgotten);
  close_idle()  -- they are closed cleanly (FIN) at once.

Connections opened afterwards are forwarded as usual, unless fail_new(kind, n) asks the next n new ones to meet
one of these faults from the start. Plain threads; for tests only (127.0.0.1)."""

import select
import socket
import struct
import threading
from collections import Counter
from urllib.parse import urlsplit, urlunsplit


class _Link:
    def __init__(self, proxy, client, upstream, mode="forward"):
        self.proxy, self.client, self.upstream = proxy, client, upstream
        self.mode = mode  # forward | reset | blackhole | closed
        self.lock = threading.Lock()
        if mode in ("reset_now", "close"):
            self.mode = "forward"
            self.fault(mode)
        else:
            threading.Thread(target=self.pump, daemon=True).start()

    def pump(self):
        try:
            while self.mode != "closed":
                if self.mode == "blackhole" and self.upstream is not None:
                    self.upstream.close()  # the server's side is gone for good
                    self.upstream = None
                watched = [s for s in (self.client, self.upstream) if s is not None]
                try:
                    ready, _, _ = select.select(watched, [], [], 0.1)
                except (OSError, ValueError):
                    continue  # a socket closed by a fault meanwhile: look at the mode again
                for sock in ready:
                    with self.lock:
                        if sock is not self.client and sock is not self.upstream:
                            continue
                        if not self._carry(sock, sock.recv(65536)):
                            return
        except OSError:  # reset by the other side
            pass
        finally:
            self.shut()

    def _carry(self, sock, data):
        """Pass data on as the mode says; False when the link is over."""
        if self.mode == "closed":
            return False
        if sock is self.upstream:
            if data and self.mode == "forward":
                self.client.sendall(data)
            elif not data:  # the server closed: the client learns it only while forwarding
                if self.mode == "forward":
                    return False
                self.upstream.close()
                self.upstream = None
            return True
        if self.mode == "reset" and data:
            self.proxy.counts["reset"] += 1
            self.abort()
            return False
        if self.mode == "blackhole":
            self.proxy.counts["swallowed"] += bool(data)
            return bool(data)
        if not data:
            return False
        self.proxy.counts["forwarded"] += 1
        self.upstream.sendall(data)
        return True

    def abort(self):
        """Close the client's side with an RST (SO_LINGER 0)."""
        self.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.shut()

    def shut(self):
        self.mode = "closed"
        for sock in (self.client, self.upstream):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass

    def fault(self, kind):
        with self.lock:
            if self.mode == "closed":
                return
            if kind == "reset_now":
                self.proxy.counts["reset"] += 1
                self.abort()
            elif kind == "close":
                self.proxy.counts["closed"] += 1
                try:
                    self.client.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.shut()
            else:
                self.mode = kind


class TcpProxy:
    def __init__(self, host, port):
        self.target = (host, port)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port = self.listener.getsockname()[1]
        self.links, self.counts, self.lock = [], Counter(), threading.Lock()
        self.next_faults = []  # faults for the next new connections, in order
        threading.Thread(target=self._accept, daemon=True).start()

    @classmethod
    def before(cls, url):
        """A proxy in front of an http(s) URL's host and port."""
        parts = urlsplit(url)
        return cls(parts.hostname, parts.port or 80)

    def url(self, url):
        """url with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        return urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            upstream.settimeout(None)
            with self.lock:
                self.counts["accepted"] += 1
                self.links = [link for link in self.links if link.mode != "closed"]
                fault = self.next_faults.pop(0) if self.next_faults else "forward"
                self.links.append(_Link(self, client, upstream, fault))

    def _fault(self, kind):
        with self.lock:
            links = [link for link in self.links if link.mode != "closed"]
        for link in links:
            link.fault(kind)
        return len(links)

    def reset(self):
        """The connections open now are reset when the client next sends. -> how many."""
        return self._fault("reset")

    def reset_now(self):
        return self._fault("reset_now")

    def blackhole(self):
        return self._fault("blackhole")

    def close_idle(self):
        return self._fault("close")

    def fail_new(self, kind, n=1):
        """The next n new connections meet `kind` ("reset", "reset_now", "blackhole" or "close") at once."""
        with self.lock:
            self.next_faults += [kind] * n

    def open_links(self):
        with self.lock:
            return sum(1 for link in self.links if link.mode != "closed")

    def close(self):
        self.listener.close()
        self._fault("close")
