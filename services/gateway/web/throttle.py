"""Counters of anonymous hits kept in this gateway process: at most `limit` per key in a minute, without a database
row per hit (login challenges and CAPTCHA refreshes by address). Memory stays bounded: the least recently seen keys
are forgotten beyond max_keys. Several gateway processes each count their own hits."""

import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from ipaddress import ip_address


class Window:
    """Fixed one-minute windows per key (any 60 s see at most 2 × limit)."""

    def __init__(
        self, limit: int, seconds: float = 60.0, max_keys: int = 20000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.seconds, self.max_keys, self.clock = limit, seconds, max_keys, clock
        self.counts: OrderedDict[Hashable, list[float]] = OrderedDict()  # key -> [window start, hits]

    def hit(self, key: Hashable, limit: int | None = None) -> bool:
        """Count a hit; False when the key is over its limit in the current window (that hit is refused)."""
        limit = self.limit if limit is None else limit
        now = self.clock()
        entry = self.counts.get(key)
        if entry is None or now - entry[0] >= self.seconds:
            entry = self.counts[key] = [now, 0]
        self.counts.move_to_end(key)
        while len(self.counts) > self.max_keys:
            self.counts.popitem(last=False)
        if entry[1] >= limit:
            return False
        entry[1] += 1
        return True


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
