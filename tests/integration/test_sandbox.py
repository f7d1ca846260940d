"""The sandbox emulator over real HTTP on 127.0.0.1: task lifecycle, keys, credits and markers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import aiohttp
import pytest
from harness import FakeClock
from sandbox_calls import (
    AUTH,
    CREATE,
    PRO_TEXT,
    STATUS,
    STORY,
    TASK_SECONDS,
    TEXT,
    call,
    create,
    status,
)

from freesora.sandbox import (
    CANCEL_MARKER,
    FAIL_MARKER,
    FAIL_NO_REFUND_MARKER,
    MODERATION_REASON,
    SANDBOX_KEY,
    RunningSandbox,
    run_sandbox,
    serve_forever,
)
from freesora.sandbox.canned import SAMPLE_PATH
from freesora.sandbox.state import DEFAULT_CREDITS as FULL
from freesora.schemas.pricing import estimate_body


async def test_task_goes_pending_running_succeeded_as_the_clock_advances(
    served: RunningSandbox, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    task_id = await create(session, served, TEXT)
    assert len(task_id) == 32
    int(task_id, 16)
    seen = []
    for _ in range(6):
        data = await status(session, served, task_id)
        seen.append((data["status"], data["progress"]))
        clock.advance(TASK_SECONDS / 5)
    assert seen == [
        ("pending", 0),
        ("running", 0),
        ("running", 25),
        ("running", 50),
        ("running", 75),
        ("succeeded", 100),
    ]


async def test_finished_task_links_to_this_server_and_the_file_is_the_sample_mp4(
    served: RunningSandbox, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    task_id = await create(session, served, TEXT)
    clock.advance(TASK_SECONDS)
    data = await status(session, served, task_id)
    assert data["result_urls"] == [f"{served.base_url}/files/{task_id}.mp4"]
    assert data["model"] == TEXT["model"]
    assert data["credits_refunded"] is False
    async with session.get(data["result_urls"][0]) as resp:
        assert resp.status == 200
        assert resp.content_type == "video/mp4"
        assert await resp.read() == SAMPLE_PATH.read_bytes()
    assert [r.had_authorization for r in served.sandbox.received.downloads] == [False]


async def test_unfinished_or_unknown_files_are_a_plain_404(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    task_id = await create(session, served, TEXT)
    for name in (task_id, "f" * 32):
        async with session.get(f"{served.base_url}/files/{name}.mp4") as resp:
            assert resp.status == 404


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer sk-other"}, {"Authorization": SANDBOX_KEY}]
)
async def test_missing_or_unknown_key_is_code_401_in_an_http_200(
    served: RunningSandbox, session: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    for path, body in ((CREATE, TEXT), (STATUS, {"taskId": "x"})):
        answer = await call(session, served.base_url + path, body, headers)
        assert answer["code"] == 401
    assert served.sandbox.tasks_created == 0


async def test_any_sk_sandbox_prefixed_key_works_with_its_own_balance(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    alice = {"Authorization": "Bearer sk-sandbox-alice"}
    assert (await call(session, served.base_url + CREATE, TEXT, alice))["code"] == 0
    assert served.sandbox.credits("sk-sandbox-alice") == FULL - estimate_body(TEXT)
    assert served.sandbox.credits(SANDBOX_KEY) == FULL


async def test_insufficient_credits_is_code_402_and_creates_nothing(
    session: aiohttp.ClientSession,
) -> None:
    async with run_sandbox(
        keys={"sk-poor": estimate_body(PRO_TEXT) - 1}, open_prefix=None
    ) as served:
        poor = {"Authorization": "Bearer sk-poor"}
        answer = await call(session, served.base_url + CREATE, PRO_TEXT, poor)
        assert answer["code"] == 402
        assert str(estimate_body(PRO_TEXT)) in answer["message"]
        assert served.sandbox.tasks_created == 0
        assert served.sandbox.credits("sk-poor") == estimate_body(PRO_TEXT) - 1
        denied = await call(session, served.base_url + CREATE, TEXT, AUTH)
        assert denied["code"] == 401  # no open prefix: only the configured keys exist


async def test_invalid_body_is_code_422_naming_the_field_and_costs_nothing(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    answer = await call(session, served.base_url + CREATE, {**TEXT, "nFrames": 10})
    assert answer["code"] == 422
    assert "nFrames" in answer["message"]
    async with session.post(served.base_url + CREATE, data=b"{not json", headers=AUTH) as resp:
        assert (await resp.json())["code"] == 422
    assert served.sandbox.tasks_created == 0
    assert served.sandbox.credits(SANDBOX_KEY) == FULL


async def test_fail_marker_fails_the_task_at_its_end_and_refunds(
    served: RunningSandbox, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    task_id = await create(session, served, {**PRO_TEXT, "prompt": f"a cat {FAIL_MARKER}"})
    assert served.sandbox.credits(SANDBOX_KEY) == FULL - estimate_body(PRO_TEXT)
    clock.advance(TASK_SECONDS * 0.9)
    assert (await status(session, served, task_id))["status"] == "running"
    clock.advance(TASK_SECONDS * 0.1)
    data = await status(session, served, task_id)
    assert data["status"] == "failed"
    assert data["failure_reason"] == MODERATION_REASON
    assert data["credits_refunded"] is True
    assert data["result_urls"] is None
    assert served.sandbox.credits(SANDBOX_KEY) == FULL


@pytest.mark.parametrize(
    ("marker", "end", "refunded"),
    [(FAIL_NO_REFUND_MARKER, "failed", False), (CANCEL_MARKER, "cancelled", True)],
)
async def test_other_markers_choose_the_end_and_the_refund(
    served: RunningSandbox,
    session: aiohttp.ClientSession,
    clock: FakeClock,
    marker: str,
    end: str,
    refunded: bool,
) -> None:
    task_id = await create(session, served, {**TEXT, "prompt": f"x {marker}"})
    clock.advance(TASK_SECONDS)
    data = await status(session, served, task_id)
    assert (data["status"], data["credits_refunded"]) == (end, refunded)
    assert served.sandbox.credits(SANDBOX_KEY) == FULL - (0 if refunded else estimate_body(TEXT))


async def test_a_marker_in_a_storyboard_scene_fails_the_task(
    served: RunningSandbox, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    scenes = [{"Scene": "calm", "duration": 5}, {"Scene": f"riot {FAIL_MARKER}", "duration": 5}]
    task_id = await create(session, served, {**STORY, "shots": scenes})
    clock.advance(TASK_SECONDS)
    assert (await status(session, served, task_id))["status"] == "failed"


async def test_upstream_spelling_mode_answers_waiting_generating_success_and_result_url(
    session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    async with run_sandbox(clock=clock, task_seconds=10, status_spelling="upstream") as served:
        ok = await create(session, served, TEXT)
        bad = await create(session, served, {**TEXT, "prompt": FAIL_MARKER})
        spelled = [(await status(session, served, ok))["status"]]
        clock.advance(5)
        spelled.append((await status(session, served, ok))["status"])
        clock.advance(5)
        done = await status(session, served, ok)
        spelled += [done["status"], (await status(session, served, bad))["status"]]
    assert spelled == ["waiting", "generating", "success", "fail"]
    assert done["result_url"] == f"{served.base_url}/files/{ok}.mp4"
    assert "result_urls" not in done


@pytest.mark.parametrize(
    ("body", "code"), [({}, 400), ({"taskId": ""}, 400), ({"taskId": "0" * 32}, 404)]
)
async def test_status_needs_a_known_task_id(
    served: RunningSandbox, session: aiohttp.ClientSession, body: dict[str, str], code: int
) -> None:
    answer = await call(session, served.base_url + STATUS, body)
    assert answer["code"] == code
    if code == 400:
        assert answer["message"] == "Missing parameter: taskId"


async def test_another_accounts_task_is_unknown(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    task_id = await create(session, served, TEXT)
    bob = {"Authorization": "Bearer sk-sandbox-bob"}
    assert (await call(session, served.base_url + STATUS, {"taskId": task_id}, bob))["code"] == 404


async def test_requests_are_recorded_as_received_without_the_key(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    task_id = await create(session, served, TEXT)
    await status(session, served, task_id)
    received = served.sandbox.received
    (created,) = received.creates
    assert created.body == TEXT
    assert created.had_authorization
    assert "authorization" not in {name.lower() for name in created.headers}
    assert created.headers["Content-Type"] == "application/json"
    assert [call.body for call in received.status_calls] == [{"taskId": task_id}]
    async with session.get(served.base_url + "/sandbox/state") as resp:
        text = await resp.text()
    assert SANDBOX_KEY not in text
    assert json.loads(text)["tasks_created"] == 1


async def test_run_sandbox_reports_the_port_it_bound() -> None:
    async with run_sandbox(port=0) as served:
        assert served.port > 0
        assert served.base_url == f"http://127.0.0.1:{served.port}"


async def test_serve_forever_logs_the_url_and_the_key_to_use(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = asyncio.Event()

    class Notify(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            started.set()

    notify = Notify()
    logging.getLogger("freesora.sandbox.server").addHandler(notify)
    caplog.set_level(logging.INFO, logger="freesora.sandbox.server")
    server = asyncio.create_task(serve_forever("127.0.0.1", 0))
    try:
        await asyncio.wait_for(started.wait(), 5)
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
        logging.getLogger("freesora.sandbox.server").removeHandler(notify)
    assert "http://127.0.0.1:" in caplog.text
    assert SANDBOX_KEY in caplog.text
