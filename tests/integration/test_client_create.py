"""The real client against the sandbox on 127.0.0.1: creating tasks, and never paying twice."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from harness import FakeClock, Harness

from freesora.config import ApiKey, Settings, load_settings
from freesora.errors import (
    AuthenticationError,
    CreateOutcomeUnknownError,
    InsufficientCreditsError,
    RateLimitedError,
    ServiceError,
    TransportError,
)
from freesora.sandbox import SANDBOX_KEY, run_sandbox
from freesora.schemas import CreateVideoRequest, build_create_request
from freesora.service.client import FreeSoraClient, Timeouts, open_session
from freesora.service.retry import RetryPolicy


def text_request(**extra: object) -> CreateVideoRequest:
    return build_create_request(model="sora-2-text-to-video", prompt="A paper boat", **extra)


async def test_a_created_task_returns_its_id_and_the_service_gets_exactly_the_payload(
    harness: Harness,
) -> None:
    request = text_request(n_frames=15, aspect_ratio="portrait")
    task_id = await harness.client.create(request)
    assert task_id in harness.sandbox.tasks
    [received] = harness.sandbox.received.creates
    assert received.body == request.to_payload()
    assert received.body["nFrames"] == "15"
    assert received.had_authorization


async def test_a_wrong_key_is_refused_with_how_to_set_it(harness: Harness) -> None:
    client = harness.client_with(key="sk-wrong")
    with pytest.raises(AuthenticationError) as info:
        await client.create(text_request())
    assert "FREESORA_API_KEY" in str(info.value)
    assert "sk-wrong" not in str(info.value)
    assert info.value.code == 401
    assert harness.sandbox.tasks == {}


async def test_insufficient_credits_is_reported_and_nothing_is_created(harness: Harness) -> None:
    harness.sandbox.state.ledger.balances[SANDBOX_KEY] = 1
    with pytest.raises(InsufficientCreditsError) as info:
        await harness.client.create(text_request())
    assert info.value.code == 402
    assert "credits" in str(info.value)
    assert harness.sandbox.tasks == {}


async def test_a_validation_error_from_the_service_carries_its_own_message(
    harness: Harness,
) -> None:
    harness.sandbox.faults.add("create", "code", code=422, message="prompt: rejected upstream")
    with pytest.raises(ServiceError) as info:
        await harness.client.create(text_request())
    assert "prompt: rejected upstream" in str(info.value)
    assert info.value.code == 422
    assert len(harness.sandbox.received.creates) == 1


@pytest.mark.parametrize("as_code", [False, True])
async def test_a_429_is_retried_after_retry_after_and_creates_one_task(
    harness: Harness, as_code: bool
) -> None:
    harness.sandbox.faults.add("create", "rate_limit", retry_after=7, as_code=as_code, times=2)
    task_id = await harness.client.create(text_request())
    assert list(harness.sandbox.tasks) == [task_id]
    assert len(harness.sandbox.received.creates) == 3
    assert harness.clock.sleeps == [7.0, 7.0]


async def test_a_429_without_retry_after_backs_off_exponentially(harness: Harness) -> None:
    harness.sandbox.faults.add("create", "rate_limit", times=2)
    await harness.client.create(text_request())
    assert harness.clock.sleeps == [1.0, 2.0]


async def test_a_429_that_never_ends_is_reported_once_the_limits_patience_is_spent(
    harness: Harness,
) -> None:
    # The harness client's patience is 20 s: two 7 s waits, and the third 429 is final.
    harness.sandbox.faults.add("create", "rate_limit", retry_after=7, times=10)
    with pytest.raises(RateLimitedError, match="3 tries"):
        await harness.client.create(text_request())
    assert len(harness.sandbox.received.creates) == 3
    assert harness.clock.sleeps == [7.0, 7.0]
    assert harness.sandbox.tasks == {}


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("http_status", {"status": 500}),
        ("html", {"status": 502}),
        ("code", {"code": 500, "message": "internal error"}),
        ("malformed_json", {}),
        ("missing_task_id", {}),
    ],
)
async def test_an_unclear_answer_to_a_create_is_never_resent(
    harness: Harness, kind: str, params: dict[str, object]
) -> None:
    harness.sandbox.faults.add("create", kind, **params)
    with pytest.raises(CreateOutcomeUnknownError) as info:
        await harness.client.create(text_request())
    assert "may exist and may have been charged" in str(info.value)
    assert "not sent again" in str(info.value)
    assert len(harness.sandbox.received.creates) == 1
    assert harness.clock.sleeps == []


@pytest.mark.parametrize(("kind", "tasks"), [("reset_before", 0), ("reset_after", 1)])
async def test_a_hang_up_after_sending_is_not_resent_whether_or_not_the_task_exists(
    harness: Harness, kind: str, tasks: int
) -> None:
    harness.sandbox.faults.add("create", kind)
    with pytest.raises(CreateOutcomeUnknownError, match="may exist and may have been charged"):
        await harness.client.create(text_request())
    assert len(harness.sandbox.received.creates) == 1
    assert len(harness.sandbox.tasks) == tasks


async def test_a_read_timeout_after_sending_is_not_resent(harness: Harness) -> None:
    harness.sandbox.faults.add("create", "delay", seconds=0.5)
    client = harness.client_with(timeouts=Timeouts(create_s=0.1))
    with pytest.raises(CreateOutcomeUnknownError, match=r"no answer within 0\.1 s"):
        await client.create(text_request())
    assert len(harness.sandbox.received.creates) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_refused_connection_is_resent_and_creates_exactly_one_task() -> None:
    port = _free_port()
    clock = FakeClock()
    started = []
    servers = AsyncExitStack()

    async def sleep_then_start_the_server(seconds: float) -> None:
        # Nothing listens at the first try; the service comes up during the backoff.
        if not started:
            started.append(await servers.enter_async_context(run_sandbox(port=port, clock=clock)))
        await clock.sleep(seconds)

    settings = Settings(f"http://127.0.0.1:{port}", ApiKey(SANDBOX_KEY), "test")
    async with aiohttp.ClientSession() as session:
        client = FreeSoraClient(
            session, settings, sleep=sleep_then_start_the_server, rand=lambda: 0.5
        )
        try:
            task_id = await client.create(text_request())
        finally:
            await servers.aclose()
    assert list(started[0].sandbox.tasks) == [task_id]
    assert len(started[0].sandbox.received.creates) == 1
    assert len(clock.sleeps) == 1


async def test_a_service_that_never_comes_up_is_reported_as_unreachable() -> None:
    clock = FakeClock()
    settings = Settings(f"http://127.0.0.1:{_free_port()}", ApiKey(SANDBOX_KEY), "test")
    async with aiohttp.ClientSession() as session:
        client = FreeSoraClient(
            session, settings, policy=RetryPolicy(attempts=3), sleep=clock.sleep
        )
        with pytest.raises(TransportError, match="Could not reach the service") as info:
            await client.create(text_request())
    assert not isinstance(info.value, CreateOutcomeUnknownError)
    assert len(clock.sleeps) == 2


@pytest.fixture
async def recording_proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A stand-in HTTP proxy on 127.0.0.1 that records each URL and answers as the service."""
    seen: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        return web.json_response({"code": 0, "message": "ok", "data": {"taskId": "via-proxy"}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", seen
    finally:
        await runner.cleanup()


async def test_requests_go_through_http_proxy_from_the_environment(
    recording_proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy_url, seen = recording_proxy
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with open_session() as session:
        settings = Settings("http://service.invalid", ApiKey(SANDBOX_KEY), "test")
        task_id = await FreeSoraClient(session, settings).create(text_request())
    assert task_id == "via-proxy"
    assert seen == ["http://service.invalid/api/v1/video/sora-pro"]


async def test_no_proxy_exempts_the_service_host(
    harness: Harness, recording_proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy_url, seen = recording_proxy
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with open_session() as session:
        settings = Settings(harness.base_url, ApiKey(SANDBOX_KEY), "test")
        task_id = await FreeSoraClient(session, settings).create(text_request())
    assert task_id in harness.sandbox.tasks
    assert seen == []


async def test_a_profiles_proxy_is_used_for_its_requests(
    recording_proxy: tuple[str, list[str]], tmp_path: Path
) -> None:
    proxy_url, seen = recording_proxy
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "profiles": {
                    "office": {
                        "api_key": "sk-office",
                        # Plain http only to this machine (the key is in every request):
                        # through the proxy, as a gateway on the proxy's own host would be.
                        "base_url": "http://localhost:9",
                        "proxy": proxy_url,
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    settings = load_settings("office", env={"FREESORA_CONFIG": str(config)})
    async with open_session() as session:
        task_id = await FreeSoraClient(session, settings).create(text_request())
    assert task_id == "via-proxy"
    assert seen == ["http://localhost:9/api/v1/video/sora-pro"]


async def test_a_redirect_is_not_followed_so_the_key_never_reaches_another_host(
    recording_proxy: tuple[str, list[str]],
) -> None:
    other_host, seen_elsewhere = recording_proxy

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{other_host}/api/v1/video/sora-pro")

    app = web.Application()
    app.router.add_post("/api/v1/video/sora-pro", redirect)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            client = FreeSoraClient(session, Settings(base_url, ApiKey(SANDBOX_KEY), "test"))
            # Not followed, and no proof that nothing was created (a 303 may follow a create).
            with pytest.raises(CreateOutcomeUnknownError, match=r"redirect \(HTTP 302\)"):
                await client.create(text_request())
    finally:
        await runner.cleanup()
    assert seen_elsewhere == []
