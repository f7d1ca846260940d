"""Shared by the sandbox's loopback tests: endpoints, request bodies and raw HTTP calls.

The fixtures these helpers take (`served`, `session`, `clock`) live in conftest.py.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from freesora.sandbox import SANDBOX_KEY, RunningSandbox

CREATE = "/api/v1/video/sora-pro"
STATUS = "/api/video-generations/check-result"
AUTH = {"Authorization": f"Bearer {SANDBOX_KEY}"}
TEXT = {"model": "sora-2-text-to-video", "prompt": "A red kite over a beach", "nFrames": "10"}
TASK_SECONDS = 10.0
DISCONNECTED = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


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


def shots(*durations: float) -> list[dict[str, Any]]:
    return [{"Scene": f"Shot {i}", "duration": d} for i, d in enumerate(durations)]


STORY = {"model": "sora-2-pro-storyboard", "shots": shots(5, 5)}
PRO_TEXT = {"model": "sora-2-pro-text-to-video", "prompt": "p"}
