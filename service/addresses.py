"""Which URLs a download may fetch: the service's result URL and the redirects it leads to.

Both come from the service (or its storage), so neither may reach into the user's own machine or
network (a router page, a cloud metadata address) unless the service itself is local, as the
sandbox is, and neither may be plain http except on the origin the pack already trusts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

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
        return f"{host} (a loopback, private or link-local address)"
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


def _origin(parts: SplitResult) -> tuple[str, str, int | None] | None:
    """(scheme, host, port with the scheme's default), or None for a URL without a valid one."""
    try:
        port = parts.port
    except ValueError:
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    host = (parts.hostname or "").rstrip(".")
    return (parts.scheme.lower(), host, port or default) if host else None


async def refuse_result_url(url: str, base_url: str | None, allow_local: bool) -> str | None:
    """Why the result URL the service gave may not be fetched, or None.

    https, or the base URL's own origin (the sandbox's http); never an internal address unless
    the service is local (`allow_local`).
    """
    parts = urlsplit(url)
    if not allow_local and is_local_host(parts.hostname):
        return f"it points at {parts.hostname} (a loopback, private or link-local address)"
    same_origin = _origin(parts) is not None and _origin(parts) == _origin(urlsplit(base_url or ""))
    if parts.scheme.lower() != "https" and not same_origin:
        return (
            f"it is a {parts.scheme or 'scheme-less'} URL on another origin than the service's "
            f"({base_url or 'unknown'}); only https result URLs, or URLs on the service's own "
            "origin, are fetched"
        )
    problem = None if allow_local else await refuse_private_target(parts.hostname, parts.port)
    return f"it points at {problem}" if problem else None


async def refuse_redirect(target: str, result_url: str, allow_local: bool) -> str | None:
    """Why a redirect to `target` may not be followed: https, or the result URL's own origin;
    never an internal address unless the service is local."""
    parts, origin = urlsplit(target), urlsplit(result_url)
    same_origin = (parts.scheme, parts.netloc.lower()) == (origin.scheme, origin.netloc.lower())
    if parts.scheme != "https" and not same_origin:
        return (
            f"redirected to {parts.scheme}://{parts.hostname or '?'}; only https redirects, "
            "or redirects within the result URL's own host, are followed"
        )
    problem = None if allow_local else await refuse_private_target(parts.hostname, parts.port)
    return f"redirected to {problem}, which is not followed" if problem else None
