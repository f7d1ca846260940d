"""The sandbox's account limits (in flight, creates per window) and its told-to-fail creates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from harness import FakeClock
from sandbox_calls import AUTH, CREATE, TASK_SECONDS, TEXT, create, status

from freesora.sandbox import RunningSandbox, Sandbox, run_sandbox
from freesora.sandbox.tasks import FAIL_ON_REQUEST_REASON


@pytest.fixture
async def limited(clock: FakeClock) -> AsyncIterator[RunningSandbox]:
    async with run_sandbox(
        clock=clock, task_seconds=TASK_SECONDS, max_in_flight=3, creates_per_window=5, window_s=10
    ) as running:
        yield running


async def _raw_create(
    session: aiohttp.ClientSession, served: RunningSandbox, key: str | None = None
) -> tuple[int, dict[str, Any], str | None]:
    headers = AUTH if key is None else {"Authorization": f"Bearer {key}"}
    async with session.post(served.base_url + CREATE, json=TEXT, headers=headers) as resp:
        return resp.status, await resp.json(), resp.headers.get("Retry-After")


async def test_a_create_beyond_the_in_flight_limit_gets_429_until_a_task_finishes(
    limited: RunningSandbox, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    for _ in range(3):
        await create(session, limited, TEXT)
    clock.advance(4)
    http, answer, retry_after = await _raw_create(session, limited)
    assert (http, answer["code"]) == (429, 429)
    assert "3 unfinished" in answer["message"]
    assert "allows 3" in answer["message"]
    # The first task ends 6 s from now: that is when a retry can succeed.
    assert retry_after == "6"
    assert limited.sandbox.tasks_created == 3, "a refused create makes no task"
    clock.advance(6)
    http, answer, _ = await _raw_create(session, limited)
    assert (http, answer["code"]) == (200, 0)
    assert limited.sandbox.peak_in_flight == 3
    assert limited.sandbox.rate_limited == 1


async def test_a_refused_create_spends_no_credits(
    limited: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    for _ in range(3):
        await create(session, limited, TEXT)
    before = limited.sandbox.credits("sk-sandbox")
    http, _, _ = await _raw_create(session, limited)
    assert http == 429
    assert limited.sandbox.credits("sk-sandbox") == before


async def test_the_creates_window_refuses_the_sixth_create_within_10_s_and_says_when(
    session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    async with run_sandbox(clock=clock, creates_per_window=5, window_s=10) as served:
        for _ in range(5):
            await create(session, served, TEXT)
            clock.advance(1)
        clock.advance(0.5)  # 5.5 s after the first create
        http, answer, retry_after = await _raw_create(session, served)
        assert (http, answer["code"]) == (429, 429)
        assert "5 new tasks per 10 s" in answer["message"]
        assert retry_after == "5", "the first create leaves the window 4.5 s from now"
        clock.advance(4.5)
        assert (await _raw_create(session, served))[0] == 200


async def test_limits_are_per_key(limited: RunningSandbox, session: aiohttp.ClientSession) -> None:
    for _ in range(3):
        await create(session, limited, TEXT)
    assert (await _raw_create(session, limited))[0] == 429
    http, answer, _ = await _raw_create(session, limited, key="sk-sandbox-bob")
    assert (http, answer["code"]) == (200, 0)


async def test_without_limits_the_sandbox_accepts_any_burst(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    for _ in range(30):
        await create(session, served, TEXT)
    assert served.sandbox.rate_limited == 0
    assert served.sandbox.peak_in_flight == 30


async def test_fail_create_fails_only_the_nth_task_and_refunds_it(
    served: RunningSandbox, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    served.sandbox.fail_create(2)
    ids = [await create(session, served, TEXT) for _ in range(3)]
    clock.advance(TASK_SECONDS)
    states = [await status(session, served, task_id) for task_id in ids]
    assert [s["status"] for s in states] == ["succeeded", "failed", "succeeded"]
    assert states[1]["failure_reason"] == FAIL_ON_REQUEST_REASON
    assert states[1]["credits_refunded"] is True


async def test_fail_create_without_refund_keeps_the_credits(
    served: RunningSandbox, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    served.sandbox.fail_create(1, refund=False)
    task_id = await create(session, served, TEXT)
    clock.advance(TASK_SECONDS)
    data = await status(session, served, task_id)
    assert (data["status"], data["credits_refunded"]) == ("failed", False)


@pytest.mark.parametrize(
    "options",
    [
        {"max_in_flight": 0},
        {"creates_per_window": -1},
        {"max_in_flight": 2.5},
        {"window_s": 0},
        {"window_s": float("nan")},
    ],
)
def test_bad_limits_are_refused_naming_the_option(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        Sandbox(**options)


def test_fail_create_refuses_a_create_that_already_happened() -> None:
    sandbox = Sandbox()
    with pytest.raises(ValueError, match="nth must be an int > 0"):
        sandbox.fail_create(0)
