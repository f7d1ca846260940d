"""GET /freesora/queue-start: whether FREESORA_START_WHEN_QUEUED decides for every prompt, on a
real server. The frontend's settings show it; the variable is read on every request."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

ROUTE = "/freesora/queue-start"


async def test_without_the_variable_each_prompts_own_switch_decides(
    client: TestClient[Any, Any],
) -> None:
    resp = await client.get(ROUTE)
    assert resp.status == 200
    assert await resp.json() == {"environment": None}


@pytest.mark.parametrize(
    ("value", "environment"),
    [
        *[("1", True), ("true", True), (" Yes ", True), ("ON", True)],
        *[("0", False), ("false", False), ("no", False), ("Off", False), ("", None)],
    ],
)
async def test_the_environment_says_on_or_off_for_every_prompt(
    client: TestClient[Any, Any], env: dict[str, str], value: str, environment: bool | None
) -> None:
    env["FREESORA_START_WHEN_QUEUED"] = value
    assert await (await client.get(ROUTE)).json() == {"environment": environment}


async def test_a_value_the_variable_cannot_take_is_named_not_guessed(
    client: TestClient[Any, Any], env: dict[str, str]
) -> None:
    env["FREESORA_START_WHEN_QUEUED"] = "maybe"
    resp = await client.get(ROUTE)
    answer = await resp.json()
    assert resp.status == 200
    assert answer["environment"] is None
    assert (
        "FREESORA_START_WHEN_QUEUED must be one of 1, true, yes, on, 0, false, no, off"
        in answer["problem"]
    )
    assert "got 'maybe'" in answer["problem"]


async def test_another_origin_is_refused(client: TestClient[Any, Any]) -> None:
    resp = await client.get(ROUTE, headers={"Origin": "http://evil.example"})
    assert resp.status == 403
    assert "this ComfyUI only" in (await resp.json())["error"]
