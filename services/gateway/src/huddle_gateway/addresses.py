"""Which address a request comes from, for per-address limits (``Caller.address``).

The direct peer, unless it is a proxy the operator trusts (``HUDDLE_TRUSTED_PROXIES``):
then ``X-Forwarded-For`` is read from the right, each trusted hop skipped, and the first
hop that is not trusted is the client. Everything to its left was written by the client
and is never read, so no client can choose its address through a trusted proxy.
"""

from collections.abc import Iterable, Sequence
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address, ip_network

Address = IPv4Address | IPv6Address
IPV6_CLIENT_PREFIX = 64  # one subscriber's IPv6 allocation is at least a /64: count it as one


class TrustedProxies:
    def __init__(self, networks: Iterable[str] = ()) -> None:
        self.networks = tuple(ip_network(network.strip(), strict=False) for network in networks)
        # The answer depends on nothing but its arguments; parsing addresses on every request
        # cost about 7% of the gateway's time per cached public read.
        self._remembered = lru_cache(maxsize=4096)(self._client_address)

    def trusts(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def client_address(self, peer: str | None, forwarded_for: Sequence[str] = ()) -> str | None:
        """The client's address given the direct ``peer`` and the ``X-Forwarded-For``
        headers as sent (several headers count as one list, in order)."""
        return self._remembered(peer, tuple(forwarded_for))

    def _client_address(self, peer: str | None, forwarded_for: tuple[str, ...]) -> str | None:
        client = _parse(peer)
        if client is None:
            return peer or None  # not an IP address (a Unix socket, a test client): as given
        hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
        while self.trusts(client) and hops:
            hop = _parse(hops.pop())
            if hop is None:  # not written by a proxy we trust: stop at the last trusted hop
                break
            client = hop
        return limit_key(client)


def _parse(address: str | None) -> Address | None:
    try:
        parsed = ip_address((address or "").strip())
    except ValueError:
        return None
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def limit_key(address: Address) -> str:
    """An IPv4 address as it is; an IPv6 address as its /64, which one client controls."""
    if isinstance(address, IPv6Address):
        return str(IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)
