"""A result URL's name is checked where it is connected, on 127.0.0.1 only.

The event loop here is a real one whose network is a table: names resolve from `NAMES` (the
n-th lookup of a name gets its n-th answer, the last repeating; `FAILS` is a failed lookup),
and a connection outside 127.0.0.0/8 is refused and recorded instead of leaving the machine.
Both the pack's own lookups and aiohttp's go through `loop.getaddrinfo`, so a second lookup
that answers differently (DNS rebinding) is seen here as it would be on a real network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from freesora.errors import DownloadError
from freesora.service.addresses import refuse_result_url
from freesora.service.download import download
from freesora.service.retry import RetryPolicy

SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "assets" / "sample.mp4"
PUBLIC_BASE = "https://freesoragenerator.com"
PUBLIC = "93.184.216.34"
FAILS = "lookup fails"
T = TypeVar("T")


class TableNet(asyncio.SelectorEventLoop):
    def __init__(self, names: dict[str, list[str]]) -> None:
        super().__init__()
        self.names = names
        self.lookups: list[str] = []
        self.connected: list[str] = []  # loopback connections made
        self.outside: list[str] = []  # connections refused because they would leave 127/8

    async def getaddrinfo(self, host: Any, port: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in self.names:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            return await super().getaddrinfo(host, port, **kwargs)
        answers = self.names[name]
        answer = answers[min(self.lookups.count(name), len(answers) - 1)]
        self.lookups.append(name)
        if answer == FAILS:
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        family = socket.AF_INET6 if ":" in answer else socket.AF_INET
        address = (
            (answer, int(port or 0), 0, 0)
            if family == socket.AF_INET6
            else (answer, int(port or 0))
        )
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)]

    async def sock_connect(self, sock: socket.socket, address: Any) -> None:
        if not ipaddress.ip_address(address[0]).is_loopback:
            self.outside.append(address[0])
            raise ConnectionRefusedError(111, "outside 127.0.0.0/8 (the test's network)")
        self.connected.append(address[0])
        await super().sock_connect(sock, address)


def run_on(loop: TableNet, make: Callable[[], Awaitable[T]]) -> T:
    try:
        return loop.run_until_complete(make())
    finally:
        loop.close()


async def no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


async def fetch_from_storage(loop: TableNet, url_of: Callable[[int], str], tmp: Path) -> list[str]:
    """Serve a video on 127.0.0.1, download `url_of(port)` with a public service; return what
    the storage served (the request paths)."""
    served: list[str] = []

    async def video(request: web.Request) -> web.Response:
        served.append(request.path)
        return web.Response(body=SAMPLE.read_bytes(), content_type="video/mp4")

    app = web.Application()
    app.router.add_get("/{tail:.*}", video)
    async with TestServer(app, host="127.0.0.1") as server:
        url = url_of(server.port or 0)
        await download(
            url,
            tmp / "v.mp4",
            task_id="t1",
            base_url=PUBLIC_BASE,
            policy=RetryPolicy(attempts=3),
            sleep=no_sleep,
        )
    return served


def test_the_address_connected_to_is_the_one_that_was_checked(tmp_path: Path) -> None:
    # Rebinding: the first lookup (the one checked) says public, every later one loopback.
    loop = TableNet({"cdn.rebind.test": [PUBLIC, "127.0.0.1"]})
    with pytest.raises(DownloadError) as caught:
        run_on(
            loop,
            lambda: fetch_from_storage(
                loop, lambda p: f"https://cdn.rebind.test:{p}/v.mp4", tmp_path
            ),
        )
    assert loop.connected == []  # never the loopback answer of a second lookup
    assert loop.outside
    assert set(loop.outside) == {PUBLIC}  # only the checked address was tried
    assert "t1" in str(caught.value)


def test_a_name_whose_first_lookup_fails_is_never_connected_unchecked(tmp_path: Path) -> None:
    loop = TableNet({"cdn.flaky.test": [FAILS, "127.0.0.1"]})
    with pytest.raises(DownloadError) as caught:
        run_on(
            loop,
            lambda: fetch_from_storage(
                loop, lambda p: f"https://cdn.flaky.test:{p}/v.mp4", tmp_path
            ),
        )
    assert loop.connected == []
    assert loop.outside == []
    assert "resolves to 127.0.0.1" in str(caught.value)
    assert "not a public address" in str(caught.value)


def test_a_name_that_never_resolves_is_not_connected_and_is_named(tmp_path: Path) -> None:
    loop = TableNet({"cdn.gone.test": [FAILS]})
    with pytest.raises(DownloadError) as caught:
        run_on(
            loop,
            lambda: fetch_from_storage(
                loop, lambda p: f"https://cdn.gone.test:{p}/v.mp4", tmp_path
            ),
        )
    assert loop.connected == loop.outside == []
    assert "cdn.gone.test" in str(caught.value)
    assert "t1" in str(caught.value)


@pytest.mark.parametrize(
    "host", ["100.64.0.1", "100.100.100.200", "[2002:7f00:1::]", "[64:ff9b::7f00:1]"]
)
def test_a_non_public_literal_is_refused_without_any_connection_attempt(
    tmp_path: Path, host: str
) -> None:
    loop = TableNet({})
    with pytest.raises(DownloadError, match="not a public address"):
        run_on(
            loop, lambda: fetch_from_storage(loop, lambda p: f"https://{host}:9/v.mp4", tmp_path)
        )
    assert loop.connected == loop.outside == loop.lookups == []


def test_a_public_looking_name_for_the_sandbox_still_works_as_the_services_own_origin(
    tmp_path: Path,
) -> None:
    # The service's own origin may be local: a name for it resolves anywhere.
    loop = TableNet({"sandbox.test": ["127.0.0.1"]})

    async def fetch() -> bytes:
        async def video(request: web.Request) -> web.Response:
            return web.Response(body=SAMPLE.read_bytes(), content_type="video/mp4")

        app = web.Application()
        app.router.add_get("/{tail:.*}", video)
        async with TestServer(app, host="127.0.0.1") as server:
            base = f"http://sandbox.test:{server.port}"
            path = await download(f"{base}/files/t1.mp4", tmp_path / "v.mp4", base_url=base)
        return path.read_bytes()

    assert run_on(loop, fetch) == SAMPLE.read_bytes()
    assert loop.connected == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("answers", "refused"),
    [([FAILS], False), (["10.0.0.8"], True), (["100.64.1.2"], True), ([PUBLIC], False)],
)
def test_through_a_proxy_a_name_resolving_here_must_be_public_and_one_that_cannot_is_left_to_it(
    answers: list[str], refused: bool
) -> None:
    loop = TableNet({"cdn.proxied.test": answers})
    why = run_on(
        loop,
        lambda: refuse_result_url("https://cdn.proxied.test/v.mp4", PUBLIC_BASE, proxied=True),
    )
    assert (why is not None) is refused
    if refused:
        assert f"resolves to {answers[0]}" in (why or "")
