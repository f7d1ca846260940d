"""Which URLs a download may fetch, and which addresses it may connect to.

Result URLs and their redirects come from the service (or its storage), so they may reach only
the public internet: every address must be global (`ipaddress`'s `is_global`, not multicast),
and an IPv6 address that carries an IPv4 one (mapped, translated, compatible, 6to4, Teredo,
NAT64) must carry a global one. The one exception is the service's own origin (scheme, host
and port of the base URL), which the user chose: the sandbox on 127.0.0.1, a local gateway.
Plain http is fetched only on that origin.

A name is checked where it is connected: `PinnedResolver` looks it up once, refuses it unless
every address is public, and hands aiohttp exactly the addresses it checked, so a second lookup
cannot answer differently (DNS rebinding); a name that cannot be looked up is not connected to
(a lookup error, retried like any network error).
Through a proxy the proxy looks names up and connects, so the pack cannot pin: it refuses
non-public literals and local names, and a name it can look up itself must be public; one it
cannot is left to the proxy, the gateway the user configured.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Origin = tuple[str, str, int | None]
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the low 32 bits
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: a local network's own
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")  # RFC 3056: bits 16-47 are an IPv4 address
_LOW_V4 = (ipaddress.IPv6Network("::/96"), ipaddress.IPv6Network("::ffff:0:0:0/96"))
NOT_PUBLIC = (
    "not a public address: loopback, private, link-local, shared (100.64.0.0/10, e.g. a "
    "tailnet), reserved, multicast, or an IPv4 one of these inside IPv6"
)


class AddressRefused(Exception):  # an internal signal, never shown as such
    """Raised inside aiohttp's connector by `PinnedResolver`; `download` words it. Not an
    OSError, so aiohttp passes it through instead of wrapping it as a retryable DNS error."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _embedded_v4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = [v4 for v4 in (address.ipv4_mapped, address.sixtofour) if v4 is not None]
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64 or any(address in net for net in _LOW_V4):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public(address: Address) -> bool:
    """A global unicast address, and every IPv4 address it embeds global too.

    A 6to4 address is exactly as public as the IPv4 address it carries, on every Python:
    `is_global` of 2002::/16 depends on the Python (False from 3.13 and the 2024 security
    releases of 3.10-3.12, True before), and which URLs a download may fetch must not.
    """
    if isinstance(address, ipaddress.IPv6Address) and address in _SIX_TO_FOUR:
        return all(is_public(v4) for v4 in _embedded_v4(address))
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return False
        return all(is_public(v4) for v4 in _embedded_v4(address))
    return True


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def _names_this_machine(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host in ("localhost", "localhost.localdomain") or host.endswith(".localhost")


def _origin(parts: SplitResult) -> Origin | None:
    """(scheme, host, port with the scheme's default), or None for a URL without a valid one."""
    try:
        port = parts.port
    except ValueError:
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    host = (parts.hostname or "").rstrip(".")
    return (parts.scheme.lower(), host, port or default) if host else None


def service_origin(base_url: str | None) -> Origin | None:
    return _origin(urlsplit(base_url or ""))


async def _refusal(url: str, base_url: str | None, proxied: bool) -> str | None:
    """Why `url` may not be fetched (a phrase naming its host), or None."""
    parts = urlsplit(url)
    origin = _origin(parts)
    if origin is not None and origin == service_origin(base_url):
        return None  # the service's own origin: the user chose it
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() != "https":
        return (
            f"{parts.scheme or 'a scheme-less URL'}://{host or '?'} (another origin than the "
            f"service's, {base_url or 'unknown'}; only https URLs, or URLs on the service's own "
            "origin, are fetched)"
        )
    if not host:
        return "a URL without a host"
    if _names_this_machine(host):
        return f"{host} (a name of this machine; {NOT_PUBLIC})"
    address = _literal(host)
    if address is not None:
        return None if is_public(address) else f"{host} ({NOT_PUBLIC})"
    return await _looked_up_here(host, parts.port) if proxied else None


async def _looked_up_here(host: str, port: int | None) -> str | None:
    """Through a proxy: a name that resolves here must resolve to public addresses only."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port or 443, type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError):
        return None  # the proxy resolves it (or fails to)
    for info in infos:
        address = _literal(str(info[4][0]))
        if address is not None and not is_public(address):
            return f"{host} (it resolves to {address}, {NOT_PUBLIC})"
    return None


async def refuse_result_url(url: str, base_url: str | None, *, proxied: bool = False) -> str | None:
    """Why the result URL the service gave may not be fetched, or None (see the docstring)."""
    why = await _refusal(url, base_url, proxied)
    return f"it points at {why}" if why else None


async def refuse_redirect(
    target: str, base_url: str | None, *, proxied: bool = False
) -> str | None:
    """Why a redirect to `target` may not be followed (the result URL's own rule), or None."""
    why = await _refusal(target, base_url, proxied)
    return f"redirected to {why}, which is not followed" if why else None


class PinnedResolver(AbstractResolver):
    """Looks each name up once and lets aiohttp connect only to the addresses it checked.

    `trusted` (host, port) pairs, the service's origin and the proxy, may resolve anywhere.
    """

    def __init__(self, trusted: frozenset[tuple[str, int]] = frozenset()) -> None:
        self._inner = ThreadedResolver()
        self._trusted = {(host.lower().rstrip("."), port) for host, port in trusted}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        # A failed lookup raises OSError: aiohttp's DNS error, retried, and never connected.
        found = await self._inner.resolve(host, port, family)
        if (host.lower().rstrip("."), port) in self._trusted:
            return found
        for result in found:
            address = _literal(result["host"])
            if address is None or not is_public(address):
                raise AddressRefused(f"{host} (it resolves to {result['host']}, {NOT_PUBLIC})")
        return found

    async def close(self) -> None:
        await self._inner.close()
