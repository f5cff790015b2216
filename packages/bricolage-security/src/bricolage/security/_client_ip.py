"""The client's IP address, believing forwarding headers only from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from bricolage.security.errors import ConfigurationError

__all__ = ["TrustedProxies", "client_ip"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:443"
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """The networks whose ``X-Forwarded-For`` entries are believed.

    >>> from bricolage.security import TrustedProxies
    >>> proxies = TrustedProxies(["10.0.0.0/8", "127.0.0.1"])
    >>> "10.1.2.3" in proxies, "203.0.113.9" in proxies
    (True, False)
    """

    def __init__(self, networks: Iterable[str]) -> None:
        try:
            self.networks: tuple[_Network, ...] = tuple(
                ipaddress.ip_network(n.strip(), strict=False) for n in networks
            )
        except ValueError as exc:
            raise ConfigurationError(f"invalid trusted proxy network: {exc}") from None

    def __contains__(self, address: object) -> bool:
        parsed = _parse_ip(address) if isinstance(address, str) else None
        return parsed is not None and any(parsed in n for n in self.networks)


def client_ip(
    remote_addr: str,
    forwarded_for: str | Iterable[str] | None,
    trusted: TrustedProxies | Iterable[str] = (),
) -> str:
    """The address of the client, as seen by the first untrusted hop.

    ``remote_addr`` is the TCP peer. ``X-Forwarded-For`` (joined, if sent several times)
    is read from the right, skipping hops in ``trusted``; the first untrusted address is
    the client. If the peer itself is not trusted the header is ignored, so a client
    cannot spoof its address by sending the header itself.

    >>> from bricolage.security import client_ip
    >>> client_ip("203.0.113.7", "1.2.3.4")  # peer not a proxy: header ignored
    '203.0.113.7'
    >>> client_ip("10.0.0.2", "1.2.3.4, 198.51.100.5, 10.0.0.9", ["10.0.0.0/8"])
    '198.51.100.5'
    """
    proxies = trusted if isinstance(trusted, TrustedProxies) else TrustedProxies(trusted)
    peer = _parse_ip(remote_addr)
    if peer is None:
        raise ConfigurationError(f"remote address {remote_addr!r} is not an IP address")
    if forwarded_for is None or str(peer) not in proxies:
        return str(peer)
    joined = forwarded_for if isinstance(forwarded_for, str) else ",".join(forwarded_for)
    current = peer
    for hop in reversed([h for h in joined.split(",") if h.strip()]):
        address = _parse_ip(hop)
        if address is None:
            return str(current)  # garbage left of a trusted hop: trust no further
        current = address
        if str(address) not in proxies:
            return str(address)
    return str(current)
