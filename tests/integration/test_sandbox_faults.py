"""The sandbox's fault injection: each fault kind, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from harness import FakeClock
from sandbox_calls import (
    AUTH,
    CREATE,
    DISCONNECTED,
    STATUS,
    TASK_SECONDS,
    TEXT,
    call,
    create,
    status,
)

from freesora.sandbox import SANDBOX_KEY, RunningSandbox, Sandbox
from freesora.sandbox.state import DEFAULT_CREDITS as FULL
from freesora.schemas.pricing import estimate_body


def test_faults_are_checked_when_added() -> None:
    faults = Sandbox().faults
    bad: list[tuple[tuple[str, str], dict[str, Any], str]] = [
        (("upload", "html"), {}, "endpoint must be one of"),
        (("create", "teleport"), {}, "kind must be one of"),
        (("create", "unknown_status"), {}, "applies to status"),
        (("create", "http_status"), {}, "parameters are"),
        (("create", "delay"), {"seconds": -1}, "seconds must be"),
        (("status", "delay"), {"seconds": 1, "then": "create"}, "create only"),
        (("create", "html"), {"times": 0}, "times must be"),
    ]
    for args, params, message in bad:
        with pytest.raises(ValueError, match=message):
            faults.add(*args, **params)
    assert faults.pending() == 0


async def test_faults_are_consumed_in_order_each_times_times(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    served.sandbox.faults.add("create", "code", times=2, code=500)
    served.sandbox.faults.add("create", "code", code=402, message="Top up")
    codes = [(await call(session, served.base_url + CREATE, TEXT))["code"] for _ in range(4)]
    assert codes == [500, 500, 402, 0]
    assert served.sandbox.tasks_created == 1


async def test_http_status_fault_answers_that_status_with_a_json_envelope(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    served.sandbox.faults.add("create", "http_status", status=500, message="boom")
    async with session.post(served.base_url + CREATE, json=TEXT, headers=AUTH) as resp:
        assert resp.status == 500
        assert await resp.json() == {"code": 500, "message": "boom", "data": None}
    assert served.sandbox.tasks_created == 0


async def test_html_fault_answers_a_proxy_error_page(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    served.sandbox.faults.add("status", "html")
    async with session.post(served.base_url + STATUS, json={"taskId": "x"}, headers=AUTH) as resp:
        assert (resp.status, resp.content_type) == (502, "text/html")
        assert "502 Bad Gateway" in await resp.text()


@pytest.mark.parametrize(("status", "created"), [(521, 0), (523, 0), (520, 1), (524, 1)])
async def test_cdn_page_fault_answers_cloudflares_page_and_creates_only_what_it_forwarded(
    served: RunningSandbox, session: aiohttp.ClientSession, status: int, created: int
) -> None:
    served.sandbox.faults.add("create", "cdn_page", status=status)
    served.sandbox.faults.add("create", "cdn_page", status=status, marker=False)
    for marked in (True, False):
        async with session.post(served.base_url + CREATE, json=TEXT, headers=AUTH) as resp:
            assert (resp.status, resp.content_type) == (status, "text/html")
            assert resp.headers["Server"] == "cloudflare"
            assert ("CF-RAY" in resp.headers) is marked
            assert f'<span class="cf-error-code">{status}</span>' in await resp.text()
    assert served.sandbox.tasks_created == 2 * created


async def test_rate_limit_fault_answers_429_with_retry_after_or_as_an_envelope_code(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    served.sandbox.faults.add("create", "rate_limit", retry_after=3)
    served.sandbox.faults.add("create", "rate_limit", as_code=True)
    async with session.post(served.base_url + CREATE, json=TEXT, headers=AUTH) as resp:
        assert (resp.status, resp.headers["Retry-After"]) == (429, "3")
    assert (await call(session, served.base_url + CREATE, TEXT))["code"] == 429
    assert served.sandbox.tasks_created == 0


@pytest.mark.parametrize(
    ("graceful", "error"), [(False, aiohttp.ClientOSError), (True, aiohttp.ServerDisconnectedError)]
)
async def test_reset_before_drops_the_connection_and_creates_nothing(
    served: RunningSandbox, session: aiohttp.ClientSession, graceful: bool, error: type[Exception]
) -> None:
    served.sandbox.faults.add("create", "reset_before", graceful=graceful)
    with pytest.raises(error):
        await call(session, served.base_url + CREATE, TEXT)
    assert served.sandbox.tasks_created == 0
    assert served.sandbox.credits(SANDBOX_KEY) == FULL
    assert [c.body for c in served.sandbox.received.creates] == [TEXT]


async def test_reset_after_drops_the_connection_but_the_task_exists_and_was_charged(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    served.sandbox.faults.add("create", "reset_after")
    with pytest.raises(DISCONNECTED):
        await call(session, served.base_url + CREATE, TEXT)
    assert served.sandbox.tasks_created == 1
    assert served.sandbox.credits(SANDBOX_KEY) == FULL - estimate_body(TEXT)


async def test_delay_outlasts_the_client_timeout_and_the_task_is_still_created(
    served: RunningSandbox,
) -> None:
    served.sandbox.faults.add("create", "delay", seconds=0.2)
    timeout = aiohttp.ClientTimeout(total=0.05)
    async with aiohttp.ClientSession(timeout=timeout, headers=AUTH) as impatient:
        with pytest.raises(asyncio.TimeoutError):
            await impatient.post(served.base_url + CREATE, json=TEXT)
    assert served.sandbox.tasks_created == 0
    await served.sandbox.drain()
    assert served.sandbox.tasks_created == 1
    assert served.sandbox.credits(SANDBOX_KEY) == FULL - estimate_body(TEXT)


async def test_delay_then_drop_hangs_up_without_creating_a_task(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    served.sandbox.faults.add("create", "delay", seconds=0, then="drop")
    with pytest.raises(DISCONNECTED):
        await call(session, served.base_url + CREATE, TEXT)
    await served.sandbox.drain()
    assert served.sandbox.tasks_created == 0


async def test_malformed_json_fault_answers_a_body_that_does_not_parse(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    served.sandbox.faults.add("status", "malformed_json")
    async with session.post(served.base_url + STATUS, json={"taskId": "x"}, headers=AUTH) as resp:
        assert resp.status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(await resp.text())


async def test_missing_task_id_fault_answers_success_without_an_id_or_a_task(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    served.sandbox.faults.add("create", "missing_task_id")
    answer = await call(session, served.base_url + CREATE, TEXT)
    assert answer["code"] == 0
    assert not {"taskId", "id"} & answer["data"].keys()
    assert served.sandbox.tasks_created == 0
    assert served.sandbox.credits(SANDBOX_KEY) == FULL


async def test_unknown_status_fault_answers_a_status_outside_the_documented_set(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    task_id = await create(session, served, TEXT)
    served.sandbox.faults.add("status", "unknown_status")
    assert (await status(session, served, task_id))["status"] == "teleporting"
    assert (await status(session, served, task_id))["status"] == "pending"


async def test_truncated_download_fails_the_client_mid_body(
    served: RunningSandbox, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    task_id = await create(session, served, TEXT)
    clock.advance(TASK_SECONDS)
    served.sandbox.faults.add("download", "truncated")
    with pytest.raises(aiohttp.ClientPayloadError):
        async with session.get(f"{served.base_url}/files/{task_id}.mp4") as resp:
            await resp.read()


async def test_download_reset_twice_gets_past_aiohttps_silent_retry_of_a_get(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    # aiohttp 3.14 resends an idempotent request (GET) once after a reset or disconnect, on any
    # connection; a single reset is therefore invisible to a client that downloads with GET.
    served.sandbox.faults.add("download", "reset_before", times=2)
    with pytest.raises(DISCONNECTED):
        await session.get(f"{served.base_url}/files/{'0' * 32}.mp4")
    assert len(served.sandbox.received.downloads) == 2
