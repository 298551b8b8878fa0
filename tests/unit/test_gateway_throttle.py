"""Whom a per-address limit counts (issue 17 §2–3); the counting is journal.rate_hit (test_gateway_state.py)."""

from services.gateway.web.throttle import client_key


def test_ipv6_counts_per_64_and_mapped_ipv4_as_ipv4():
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2") == "2001:0db8:0001:0002::/64"
    assert client_key("::ffff:192.0.2.1") == client_key("192.0.2.1") == "192.0.2.1"
    assert client_key(None) == "unknown"


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy():
    from services.gateway.web.throttle import client_address

    assert client_address("203.0.113.9", "198.51.100.1") == "203.0.113.9"  # no proxy configured: ignored
    assert client_address("203.0.113.9", "198.51.100.1", {"10.0.0.2"}) == "203.0.113.9"  # not from the proxy
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.1", {"10.0.0.2"}) == "198.51.100.1"  # forged left part
    assert client_address("10.0.0.2", "198.51.100.1, 10.0.0.3", {"10.0.0.2", "10.0.0.3"}) == "198.51.100.1"
    assert client_address("10.0.0.2", "", {"10.0.0.2"}) == "10.0.0.2"
