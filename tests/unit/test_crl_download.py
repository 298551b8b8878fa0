"""CRL downloads of the journal (crl_refresh.download) through the loopback TCP proxy: no connection is kept to
go stale, a connection reset or closed before the CRL came is repeated at once on a new one, a silent one costs
the read timeout only, and the next download is not touched by what happened to the last one."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from services.journal import crl_refresh
from tests.support import wait_for
from tests.tcp_proxy import TcpProxy

CRL = b"0\x82" + bytes(range(256)) * 64  # the body only: download does not parse


class Point(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive offered: the client must still not keep it
    hits = []

    def do_GET(self):
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", str(len(CRL)))
        self.end_headers()
        self.wfile.write(CRL)

    def log_message(self, *args):
        pass


@pytest.fixture
def proxied():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Point)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = TcpProxy("127.0.0.1", server.server_address[1])
    Point.hits.clear()
    yield proxy, f"http://127.0.0.1:{proxy.port}/ca.crl"
    proxy.close()
    server.shutdown()


def test_no_connection_is_kept_so_faults_on_old_ones_cost_nothing(proxied):
    proxy, url = proxied
    for fault in (proxy.reset, proxy.blackhole, proxy.close_idle):
        assert crl_refresh.download(url) == CRL
        wait_for(lambda: proxy.open_links() == 0, 2, 0.05, "the connection closed after the download")
        assert fault() == 0
        started = time.monotonic()
        assert crl_refresh.download(url) == CRL
        assert time.monotonic() - started < 1
    assert len(Point.hits) == 6


@pytest.mark.parametrize("kind", ["reset", "close"])
def test_a_connection_that_breaks_before_the_crl_came_is_repeated_once_at_once(proxied, kind):
    proxy, url = proxied
    proxy.fail_new(kind)
    started = time.monotonic()
    assert crl_refresh.download(url) == CRL
    assert time.monotonic() - started < 1
    assert proxy.counts["accepted"] == 2 and len(Point.hits) == 1
    proxy.fail_new(kind, 2)  # broken twice: given up (the next URL or the next pass)
    with pytest.raises(requests.RequestException):
        crl_refresh.download(url)
    assert crl_refresh.download(url) == CRL


def test_a_silent_connection_costs_the_read_timeout_and_is_not_repeated(proxied):
    proxy, url = proxied
    proxy.fail_new("blackhole")
    started = time.monotonic()
    with pytest.raises(requests.RequestException):
        crl_refresh.download(url, timeout=0.5)
    assert 0.4 < time.monotonic() - started < 2 and proxy.counts["accepted"] == 1
    assert crl_refresh.download(url, timeout=0.5) == CRL


def test_connecting_has_a_timeout_of_its_own(monkeypatch, proxied):
    proxy, url = proxied
    seen = []
    real = requests.get
    monkeypatch.setattr(requests, "get", lambda *a, **k: seen.append(k["timeout"]) or real(*a, **k))
    crl_refresh.download(url, timeout=30)
    crl_refresh.download(url, timeout=2)
    assert seen == [(crl_refresh.CONNECT_TIMEOUT, 30), (2, 2)]
