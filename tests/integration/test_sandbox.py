"""The sandbox emulator over real HTTP on 127.0.0.1, and its create validator as a pure function."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from PIL import Image

from freesora.sandbox import (
    CANCEL_MARKER,
    FAIL_MARKER,
    FAIL_NO_REFUND_MARKER,
    MODERATION_REASON,
    SANDBOX_KEY,
    RunningSandbox,
    Sandbox,
    run_sandbox,
    serve_forever,
    validate_create,
)
from freesora.sandbox.canned import SAMPLE_PATH
from freesora.sandbox.pricing import credit_cost

CREATE = "/api/v1/video/sora-pro"
STATUS = "/api/video-generations/check-result"
AUTH = {"Authorization": f"Bearer {SANDBOX_KEY}"}
TEXT = {"model": "sora-2-text-to-video", "prompt": "A red kite over a beach", "nFrames": "10"}
TASK_SECONDS = 10.0
DISCONNECTED = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def served(clock: FakeClock) -> AsyncIterator[RunningSandbox]:
    async with run_sandbox(clock=clock, task_seconds=TASK_SECONDS) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as client:
        yield client


async def call(
    session: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    async with session.post(url, json=body, headers=AUTH if headers is None else headers) as resp:
        assert resp.status == 200
        answer: dict[str, Any] = await resp.json()
        return answer


async def create(session: aiohttp.ClientSession, served: RunningSandbox, body: Any) -> str:
    answer = await call(session, served.base_url + CREATE, body)
    assert answer["code"] == 0, answer
    task_id: str = answer["data"]["taskId"]
    return task_id


async def status(
    session: aiohttp.ClientSession, served: RunningSandbox, task_id: str
) -> dict[str, Any]:
    answer = await call(session, served.base_url + STATUS, {"taskId": task_id})
    assert answer["code"] == 0, answer
    data: dict[str, Any] = answer["data"]
    return data


def data_url(fmt: str = "PNG", mime: str = "png", size: tuple[int, int] = (8, 8)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return f"data:image/{mime};base64,{base64.b64encode(buffer.getvalue()).decode()}"


def shots(*durations: float) -> list[dict[str, Any]]:
    return [{"Scene": f"Shot {i}", "duration": d} for i, d in enumerate(durations)]


STORY = {"model": "sora-2-pro-storyboard", "shots": shots(5, 5)}
VALID_BODIES = {
    "text": TEXT,
    "text stable": {"model": "sora-2-text-to-video-stable", "prompt": "p", "nFrames": "15"},
    "pro text, every field": {
        "model": "sora-2-pro-text-to-video",
        "prompt": "A city at sunset",
        "aspectRatio": "landscape",
        "nFrames": "10",
        "size": "high",
        "removeWatermark": True,
        "isPublic": True,
    },
    "image with png data": {
        "model": "sora-2-image-to-video",
        "prompt": "p",
        "imageData": data_url(),
    },
    "stable image, jpeg": {
        "model": "sora-2-image-to-video-stable",
        "prompt": "p",
        "imageData": data_url("JPEG", "jpeg"),
        "aspectRatio": "portrait",
        "nFrames": "15",
    },
    "pro image, webp, standard": {
        "model": "sora-2-pro-image-to-video",
        "prompt": "p",
        "imageData": data_url("WEBP", "webp"),
        "size": "standard",
    },
    "image by url": {
        "model": "sora-2-image-to-video",
        "prompt": "p",
        "imageUrl": "https://e.x/a.png",
    },
    "storyboard, default 15 s": {**STORY, "shots": shots(7.5, 7.5)},
    "storyboard, 25 s, edge durations": {**STORY, "nFrames": "25", "shots": shots(0.1, 15, 9.9)},
    "storyboard, float sum": {**STORY, "nFrames": "10", "shots": shots(3.3, 3.3, 3.4)},
    "prompt of exactly 10,000 chars": {**TEXT, "prompt": "x" * 10_000},
}


@pytest.mark.parametrize("body", VALID_BODIES.values(), ids=VALID_BODIES.keys())
def test_validator_accepts_what_api_md_allows(body: dict[str, Any]) -> None:
    assert validate_create(body) == []


PRO_TEXT = {"model": "sora-2-pro-text-to-video", "prompt": "p"}
IMAGE = {"model": "sora-2-image-to-video", "prompt": "p"}
STABLE = {"model": "sora-2-text-to-video-stable", "prompt": "p"}
TOO_BIG = "data:image/png;base64," + "A" * (14 * 1024 * 1024)
JPEG_AS_PNG = data_url("JPEG", "png")
INVALID_BODIES: dict[str, tuple[Any, str]] = {
    "not an object": ([TEXT], "body"),
    "missing model": ({"prompt": "p"}, "model"),
    "unknown model": ({**TEXT, "model": "sora-3"}, "model"),
    "unknown field": ({**TEXT, "seed": 1}, "seed"),
    "null field": ({**TEXT, "aspectRatio": None}, "aspectRatio"),
    "missing prompt": ({"model": "sora-2-text-to-video"}, "prompt"),
    "blank prompt": ({**TEXT, "prompt": "  \n"}, "prompt"),
    "prompt too long": ({**TEXT, "prompt": "x" * 10_001}, "prompt"),
    "prompt not a string": ({**TEXT, "prompt": 5}, "prompt"),
    "prompt on storyboard": ({**STORY, "prompt": "p"}, "prompt"),
    "image model without image": (IMAGE, "imageData"),
    "both image fields": (
        {**IMAGE, "imageData": data_url(), "imageUrl": "https://e.x"},
        "imageData, imageUrl",
    ),
    "image on a text model": ({**TEXT, "imageUrl": "https://e.x/a.png"}, "imageUrl"),
    "image on storyboard": ({**STORY, "imageData": data_url()}, "imageData"),
    "not a data url": ({**IMAGE, "imageData": "iVBORw0KGgo="}, "imageData"),
    "gif data url": ({**IMAGE, "imageData": data_url("GIF", "gif")}, "imageData"),
    "bad base64": ({**IMAGE, "imageData": "data:image/png;base64,@@@"}, "imageData"),
    "over 10 MB": ({**IMAGE, "imageData": TOO_BIG}, "imageData"),
    "declared png, is jpeg": ({**IMAGE, "imageData": JPEG_AS_PNG}, "imageData"),
    "not an image": ({**IMAGE, "imageData": "data:image/png;base64,aGVsbG8="}, "imageData"),
    "ftp image url": ({**IMAGE, "imageUrl": "ftp://e.x/a.png"}, "imageUrl"),
    "square aspect": ({**TEXT, "aspectRatio": "square"}, "aspectRatio"),
    "nFrames as int": ({**TEXT, "nFrames": 10}, "nFrames"),
    "nFrames 25 off storyboard": ({**TEXT, "nFrames": "25"}, "nFrames"),
    "nFrames 20 on storyboard": ({**STORY, "nFrames": "20"}, "nFrames"),
    "size on a non-pro model": ({**TEXT, "size": "high"}, "size"),
    "size on storyboard": ({**STORY, "size": "high"}, "size"),
    "unknown size": ({**PRO_TEXT, "size": "ultra"}, "size"),
    "removeWatermark on stable": ({**STABLE, "removeWatermark": True}, "removeWatermark"),
    "removeWatermark on storyboard": ({**STORY, "removeWatermark": False}, "removeWatermark"),
    "removeWatermark not bool": ({**TEXT, "removeWatermark": "yes"}, "removeWatermark"),
    "isPublic not bool": ({**TEXT, "isPublic": 1}, "isPublic"),
    "shots off storyboard": ({**TEXT, "shots": shots(5)}, "shots"),
    "storyboard without shots": ({"model": "sora-2-pro-storyboard"}, "shots"),
    "no shots": ({**STORY, "shots": []}, "shots"),
    "eleven shots": ({**STORY, "nFrames": "25", "shots": shots(*[1] * 11)}, "shots"),
    "lowercase scene": ({**STORY, "shots": [{"scene": "s", "duration": 5}]}, "shots[0].scene"),
    "blank Scene": ({**STORY, "shots": [{"Scene": " ", "duration": 5}]}, "shots[0].Scene"),
    "extra shot key": ({**STORY, "shots": [{"Scene": "s", "duration": 5, "x": 1}]}, "shots[0].x"),
    "duration too short": ({**STORY, "shots": shots(0.05)}, "shots[0].duration"),
    "duration too long": ({**STORY, "nFrames": "25", "shots": shots(15.5)}, "shots[0].duration"),
    "duration as text": (
        {**STORY, "shots": [{"Scene": "s", "duration": "5"}]},
        "shots[0].duration",
    ),
    "duration as bool": (
        {**STORY, "shots": [{"Scene": "s", "duration": True}]},
        "shots[0].duration",
    ),
    "total over default 15 s": ({**STORY, "shots": shots(10, 6)}, "shots"),
    "total over nFrames 10": ({**STORY, "nFrames": "10", "shots": shots(5, 5.5)}, "shots"),
}


@pytest.mark.parametrize(("body", "field"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_validator_rejects_naming_the_field(body: Any, field: str) -> None:
    problems = validate_create(body)
    assert any(problem.startswith(f"{field}:") for problem in problems), problems


def test_credit_table_charges_pro_double_and_high_size_2_2_times() -> None:
    assert credit_cost(TEXT) == 10
    assert credit_cost({**TEXT, "nFrames": "15"}) == 15
    assert credit_cost({**PRO_TEXT, "size": "standard"}) == 20
    assert credit_cost(PRO_TEXT) == 44  # Pro text defaults to high, as upstream
    assert credit_cost({**STORY, "nFrames": "25"}) == 50


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
    assert served.sandbox.credits("sk-sandbox-alice") == 990
    assert served.sandbox.credits(SANDBOX_KEY) == 1000


async def test_insufficient_credits_is_code_402_and_creates_nothing(
    session: aiohttp.ClientSession,
) -> None:
    async with run_sandbox(keys={"sk-poor": 43}, open_prefix=None) as served:
        poor = {"Authorization": "Bearer sk-poor"}
        answer = await call(session, served.base_url + CREATE, PRO_TEXT, poor)
        assert answer["code"] == 402
        assert "44" in answer["message"]
        assert served.sandbox.tasks_created == 0
        assert served.sandbox.credits("sk-poor") == 43
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
    assert served.sandbox.credits(SANDBOX_KEY) == 1000


async def test_fail_marker_fails_the_task_at_its_end_and_refunds(
    served: RunningSandbox, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    task_id = await create(session, served, {**PRO_TEXT, "prompt": f"a cat {FAIL_MARKER}"})
    assert served.sandbox.credits(SANDBOX_KEY) == 1000 - 44
    clock.advance(TASK_SECONDS * 0.9)
    assert (await status(session, served, task_id))["status"] == "running"
    clock.advance(TASK_SECONDS * 0.1)
    data = await status(session, served, task_id)
    assert data["status"] == "failed"
    assert data["failure_reason"] == MODERATION_REASON
    assert data["credits_refunded"] is True
    assert data["result_urls"] is None
    assert served.sandbox.credits(SANDBOX_KEY) == 1000


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
    assert served.sandbox.credits(SANDBOX_KEY) == 1000 - (0 if refunded else 10)


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
    assert served.sandbox.credits(SANDBOX_KEY) == 1000
    assert [c.body for c in served.sandbox.received.creates] == [TEXT]


async def test_reset_after_drops_the_connection_but_the_task_exists_and_was_charged(
    served: RunningSandbox, session: aiohttp.ClientSession
) -> None:
    served.sandbox.faults.add("create", "reset_after")
    with pytest.raises(DISCONNECTED):
        await call(session, served.base_url + CREATE, TEXT)
    assert served.sandbox.tasks_created == 1
    assert served.sandbox.credits(SANDBOX_KEY) == 990


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
    assert served.sandbox.credits(SANDBOX_KEY) == 990


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
    assert served.sandbox.credits(SANDBOX_KEY) == 1000


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
