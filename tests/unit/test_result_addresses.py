"""Which result URLs the pack fetches: https, or the service's own origin; never inward."""

from __future__ import annotations

import asyncio

import pytest

from freesora.service.addresses import refuse_result_url

PUBLIC = "https://freesoragenerator.com"
SANDBOX = "http://127.0.0.1:8765"


def refusal(url: str, base: str) -> str | None:
    local = base == SANDBOX
    return asyncio.run(refuse_result_url(url, base, local))


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://93.184.216.34/v.mp4", PUBLIC),  # https to a public address
        ("http://127.0.0.1:8765/files/t1.mp4", SANDBOX),  # the sandbox's own origin
        ("HTTP://127.0.0.1:8765/files/t1.mp4", SANDBOX),  # the scheme in capitals
        ("http://freesora.example:80/v.mp4", "http://freesora.example"),  # the default port
        ("https://10.0.0.5/v.mp4", SANDBOX),  # a local service may name its own network
    ],
)
def test_a_result_url_over_https_or_on_the_services_own_origin_is_fetched(
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
        ("https://[::ffff:169.254.169.254]/", PUBLIC, "link-local"),  # IPv4 in IPv6
        ("https://0.0.0.0/", PUBLIC, "points at 0.0.0.0"),
        ("https:///v.mp4", PUBLIC, "without a host"),
    ],
)
def test_a_result_url_elsewhere_over_http_or_inward_is_refused(
    url: str, base: str, why: str
) -> None:
    assert why in (refusal(url, base) or "")
