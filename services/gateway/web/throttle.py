"""Who a per-address limit counts: the client's address behind trusted proxies, IPv6 by /64. The counting itself is
shared by every gateway process: journal.rate_hit (services/journal/gateway_state.py)."""

from collections.abc import Collection
from ipaddress import ip_address


def client_address(
    remote_addr: str | None, forwarded_for: str | None = None, trusted_proxies: Collection[str] = ()
) -> str | None:
    """The client's address: the peer's, or behind trusted proxies (TRUSTED_PROXIES) the nearest X-Forwarded-For
    entry that is not one of them. Without trusted proxies the header is ignored (anyone can write it)."""
    if not trusted_proxies or remote_addr not in trusted_proxies:
        return remote_addr
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    while hops and hops[-1] in trusted_proxies:
        hops.pop()
    return hops[-1] if hops else remote_addr


def client_key(address: str | None) -> str:
    """The unit a per-address limit counts: the address itself, or its /64 for IPv6 (one host holds a whole /64)."""
    try:
        parsed = ip_address((address or "").strip("[]"))
    except ValueError:
        return address or "unknown"
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return parsed.exploded[:19] + "::/64"
    return str(parsed)
