"""Which result URLs the pack fetches: https to public addresses, or the service's own origin."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from freesora.service.addresses import is_public, refuse_redirect, refuse_result_url

PUBLIC = "https://freesoragenerator.com"
SANDBOX = "http://127.0.0.1:8765"


def refusal(url: str, base: str) -> str | None:
    return asyncio.run(refuse_result_url(url, base))


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://93.184.216.34/v.mp4", PUBLIC),  # https to a public address
        ("https://[2001:4860:4860::8888]/v.mp4", PUBLIC),  # ... an IPv6 one
        ("https://[2002:808:808::1]/v.mp4", PUBLIC),  # 6to4 of a public IPv4 address
        ("https://[64:ff9b::808:808]/v.mp4", PUBLIC),  # NAT64 of a public IPv4 address
        ("https://cdn.example.com/v.mp4", PUBLIC),  # a name: checked where it is connected
        ("http://127.0.0.1:8765/files/t1.mp4", SANDBOX),  # the sandbox's own origin
        ("HTTP://127.0.0.1:8765/files/t1.mp4", SANDBOX),  # the scheme in capitals
        ("http://freesora.example:80/v.mp4", "http://freesora.example"),  # the default port
        ("https://[::1]:8443/v.mp4", "https://[::1]:8443"),  # a local service's own origin
    ],
)
def test_a_result_url_over_https_to_a_public_address_or_on_the_services_origin_is_fetched(
    url: str, base: str
) -> None:
    assert refusal(url, base) is None


@pytest.mark.parametrize(
    ("url", "base", "why"),
    [
        ("http://127.0.0.1:8766/files/t1.mp4", SANDBOX, "only https"),  # another port
        ("http://localhost:8765/files/t1.mp4", SANDBOX, "only https"),  # another name
        ("http://freesoragenerator.com/v.mp4", PUBLIC, "only https"),  # a downgrade to http
        ("ftp://93.184.216.34/v.mp4", PUBLIC, "only https"),
        ("https://freesoragenerator.com@127.0.0.1/v.mp4", PUBLIC, "points at 127.0.0.1"),
        ("https://[::ffff:169.254.169.254]/", PUBLIC, "not a public address"),  # IPv4 in IPv6
        ("https://0.0.0.0/", PUBLIC, "points at 0.0.0.0"),
        ("https:///v.mp4", PUBLIC, "without a host"),
        ("https://localhost/v.mp4", PUBLIC, "this machine"),
        ("https://cdn.localhost/v.mp4", PUBLIC, "this machine"),
    ],
)
def test_a_result_url_elsewhere_over_http_or_inward_is_refused(
    url: str, base: str, why: str
) -> None:
    assert why in (refusal(url, base) or "")


@pytest.mark.parametrize(
    "host",
    [
        "100.64.0.1",  # CGNAT, tailnets (Tailscale)
        "100.100.100.200",  # Alibaba Cloud's metadata service (in 100.64.0.0/10)
        "169.254.169.254",  # link-local: AWS/GCP/Azure metadata
        "10.0.0.5",
        "192.168.1.1",
        "192.0.2.7",  # documentation
        "198.18.0.1",  # benchmarking
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "224.0.0.251",  # multicast
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[2002:a9fe:a9fe::]",  # 6to4 of 169.254.169.254
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[64:ff9b::a00:5]",  # NAT64 of 10.0.0.5
        "[64:ff9b:1::808:808]",  # local-use NAT64 (RFC 8215)
        "[::ffff:7f00:1]",  # IPv4-mapped 127.0.0.1
        "[::ffff:0:7f00:1]",  # IPv4-translated (SIIT) 127.0.0.1
        "[::7f00:1]",  # IPv4-compatible 127.0.0.1
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",  # Teredo
        "[fe80::1]",
        "[fc00::1]",
        "[ff0e::1]",  # global-scope multicast
    ],
)
def test_a_result_url_on_any_non_public_address_is_refused_even_by_a_local_service(
    host: str,
) -> None:
    url = f"https://{host}:9/video.mp4"
    for base in (PUBLIC, SANDBOX):
        assert "not a public address" in (refusal(url, base) or ""), (url, base)
        redirect = asyncio.run(refuse_redirect(url, base))
        assert "which is not followed" in (redirect or ""), (url, base)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("2002:808:808::1", True),
        ("64:ff9b::808:808", True),
        ("::ffff:808:808", True),  # IPv4-mapped: as public as the address it maps
        ("::ffff:a00:5", False),
        ("100.64.0.1", False),
        ("100.127.255.255", False),
        ("100.128.0.1", True),  # just past the shared range
        ("2002:c0a8:101::1", False),  # 6to4 of 192.168.1.1
        ("2002:6440:1::1", False),  # 6to4 of 100.64.0.1 (shared)
        ("224.0.1.1", False),
    ],
)
def test_public_means_global_and_every_embedded_ipv4_address_global_too(
    address: str, public: bool
) -> None:
    assert is_public(ipaddress.ip_address(address)) is public
