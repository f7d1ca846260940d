"""Which hosts a download may be redirected to: no loopback, private or link-local addresses.

A result URL's storage may redirect, but never into the user's own machine or network (a router
page, a cloud metadata address) unless the service itself is local, as the sandbox is.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def is_local_host(host: str | None) -> bool:
    """A loopback/private host by its name or literal address (no DNS: used for the base URL)."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    address = _literal(host)
    return address is not None and _is_internal(address)


async def refuse_private_target(host: str | None, port: int | None) -> str | None:
    """Why `host` may not be fetched (it is or resolves to an internal address), or None.

    Every address the name resolves to is checked. A name that does not resolve here is left
    to the GET (it fails by itself, or a proxy resolves it to a public address).
    """
    if not host:
        return "a URL without a host"
    if is_local_host(host):
        return f"{host} (a loopback or private address)"
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    for info in infos:
        address = _literal(str(info[4][0]))
        if address is not None and _is_internal(address):
            return f"{host} (it resolves to the internal address {address})"
    return None
