"""The HTTP session of one download: no key, no cookies shared, and a pinning resolver.

Not the client's session: every connection it makes goes through `addresses.PinnedResolver`,
which connects only to the public addresses it checked (the service's origin and the proxy
excepted). Proxies are chosen here, per URL: the profile's, else the environment's
(HTTPS_PROXY/HTTP_PROXY/NO_PROXY, as the client's own session does with trust_env).
"""

from __future__ import annotations

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url, proxies_from_env
from yarl import URL

from . import VERSION
from .addresses import PinnedResolver, service_origin

USER_AGENT = f"freesora-nodes/{VERSION}"


def proxy_for(url: str, explicit: str | None) -> tuple[str | None, aiohttp.BasicAuth | None]:
    """The proxy a GET of `url` goes through (and its netrc credentials), or (None, None)."""
    if explicit:
        return explicit, None
    try:
        proxy, auth = get_env_proxy_for_url(URL(url))
    except (LookupError, ValueError):
        return None, None
    return str(proxy), auth


def _trusted(base_url: str | None, proxy: str | None) -> frozenset[tuple[str, int]]:
    """(host, port) pairs the resolver lets resolve anywhere: the service's own origin and the
    proxies, which the user configured (a proxy on 127.0.0.1 is normal)."""
    found: set[tuple[str, int]] = set()
    origin = service_origin(base_url)
    if origin is not None and origin[2] is not None:
        found.add((origin[1], origin[2]))
    proxies = [proxy] if proxy else [str(info.proxy) for info in proxies_from_env().values()]
    for one in proxies:
        proxy_origin = service_origin(one)
        if proxy_origin is not None and proxy_origin[2] is not None:
            found.add((proxy_origin[1], proxy_origin[2]))
    return frozenset(found)


def download_session(base_url: str | None, proxy: str | None) -> aiohttp.ClientSession:
    """A session for one download; the caller closes it (`async with`)."""
    connector = aiohttp.TCPConnector(resolver=PinnedResolver(_trusted(base_url, proxy)))
    return aiohttp.ClientSession(
        connector=connector,
        trust_env=False,  # proxies are passed per request by `proxy_for`
        headers={"User-Agent": USER_AGENT},
        cookie_jar=aiohttp.DummyCookieJar(),
    )
