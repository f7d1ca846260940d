"""The /freesora/ routes on a real aiohttp server: same origin only, no key material ever out."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from freesora.ledger import FileLedger, TakeState
from freesora.sandbox import RunningSandbox
from freesora.schemas.pricing import price_sheet

CANARY = "sk-sandbox-canary-7f3a9c1e55d04b2b"
NEEDLES = (CANARY, CANARY.removeprefix("sk-sandbox-"), CANARY[-6:])
ROUTES = [
    ("GET", "/freesora/key"),
    ("POST", "/freesora/key"),
    ("DELETE", "/freesora/key"),
    ("POST", "/freesora/key/check"),
    ("GET", "/freesora/prices"),
    ("GET", "/freesora/tasks"),
]


def assert_no_key_in(text: str) -> None:
    for needle in NEEDLES:
        assert needle not in text


async def store(client: TestClient[Any, Any], key: str = CANARY, **extra: Any) -> Any:
    resp = await client.post("/freesora/key", json={"api_key": key, **extra})
    text = await resp.text()
    assert_no_key_in(text)
    return resp.status, json.loads(text)


async def test_a_stored_key_is_written_0600_and_never_answered_or_logged(
    client: TestClient[Any, Any], env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    status, body = await store(client, f'  "{CANARY}"\n')
    assert status == 200
    assert body["stored"] is True
    assert (body["set"], body["source"], body["profile"]) == (True, "config file", "default")
    path = Path(env["FREESORA_CONFIG"])
    assert json.loads(path.read_text())["profiles"]["default"]["api_key"] == CANARY
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    resp = await client.get("/freesora/key")
    text = await resp.text()
    assert_no_key_in(text)
    assert json.loads(text) == {"set": True, "source": "config file", "profile": "default"}
    assert_no_key_in(caplog.text)


async def test_the_key_status_says_environment_when_the_variable_is_set(
    client: TestClient[Any, Any], env: dict[str, str]
) -> None:
    assert (await (await client.get("/freesora/key")).json())["set"] is False
    env["FREESORA_API_KEY"] = CANARY
    answer = await (await client.get("/freesora/key")).json()
    assert answer == {"set": True, "source": "environment", "profile": "default"}
    status, body = await store(client, "sk-sandbox-other-key-1234")
    assert status == 200
    assert "FREESORA_API_KEY" in body["note"]


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("", "empty"),
        ("sk-abc", "8 to 512 characters"),
        ("sk-with space-inside", "without spaces"),
        ("sk-ünïcode-key-1234", "printable ASCII"),
        (12345678, "must be a string"),
    ],
)
async def test_a_key_of_the_wrong_form_is_refused_naming_the_field_and_nothing_is_written(
    client: TestClient[Any, Any], env: dict[str, str], key: Any, fragment: str
) -> None:
    resp = await client.post("/freesora/key", json={"api_key": key})
    body = await resp.json()
    assert resp.status == 400
    assert "api_key" in body["error"]
    assert fragment in body["error"]
    assert not Path(env["FREESORA_CONFIG"]).exists()


async def test_a_profile_name_is_checked_and_never_repeated(
    client: TestClient[Any, Any], env: dict[str, str]
) -> None:
    status, body = await store(client, profile=CANARY + " x")
    assert status == 400
    assert body["error"].startswith("profile must be")
    status, body = await store(client, profile="work")
    assert (status, body["profile"], body["set"]) == (200, "work", True)
    data = json.loads(Path(env["FREESORA_CONFIG"]).read_text())
    assert data["profiles"]["work"]["api_key"] == CANARY
    assert "default" not in data["profiles"]


async def test_a_body_that_is_not_a_json_object_is_refused(client: TestClient[Any, Any]) -> None:
    for data in (b"{not json", b"[1, 2]"):
        headers = {"Content-Type": "application/json"}
        resp = await client.post("/freesora/key", data=data, headers=headers)
        assert resp.status == 400
        assert "JSON object" in (await resp.json())["error"]


async def test_delete_removes_the_stored_key_and_keeps_the_file_private(
    client: TestClient[Any, Any], env: dict[str, str]
) -> None:
    await store(client)
    resp = await client.delete("/freesora/key")
    assert await resp.json() == {
        "removed": True,
        "set": False,
        "source": None,
        "profile": "default",
    }
    path = Path(env["FREESORA_CONFIG"])
    assert CANARY not in path.read_text()
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert (await (await client.delete("/freesora/key")).json())["removed"] is False


async def test_the_check_asks_the_service_and_answers_its_verdict_without_the_key(
    client: TestClient[Any, Any], served: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = await (await client.post("/freesora/key/check", json={})).json()
    assert answer["ok"] is False
    assert "No FreeSora API key is set" in answer["message"]
    await store(client)
    resp = await client.post("/freesora/key/check", json={})
    text = await resp.text()
    assert_no_key_in(text)
    assert json.loads(text)["ok"] is True
    assert "the key works" in json.loads(text)["message"]
    assert served.sandbox.tasks_created == 0
    await store(client, "sk-not-a-sandbox-key-0000")
    refused = await (await client.post("/freesora/key/check", json={})).json()
    assert refused["ok"] is False
    assert "401" in refused["message"] or "key" in refused["message"].lower()
    assert_no_key_in(caplog.text)


async def test_prices_are_the_pure_layers_table_labelled_an_estimate(
    client: TestClient[Any, Any],
) -> None:
    answer = await (await client.get("/freesora/prices")).json()
    assert answer == price_sheet(config_file=answer["config_file"])
    assert answer["user"] == {}
    assert answer["estimate"] is True
    assert answer["as_of"]
    assert "estimate" in answer["source"]
    assert answer["models"]["sora-2-pro-storyboard"]["credits"]["25"]["standard"] == 375
    assert answer["models"]["sora-2-pro-text-to-video"]["credits"]["10"]["high"] == 330


async def test_the_users_prices_are_merged_and_named_and_the_config_file_told_to_this_machine(
    client: TestClient[Any, Any], env: dict[str, str]
) -> None:
    path = Path(env["FREESORA_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    pro = "sora-2-pro-text-to-video"
    path.write_text(json.dumps({"prices": {pro: {"10": {"high": 375}}}}), encoding="utf-8")
    answer = await (await client.get("/freesora/prices")).json()
    assert answer["models"][pro]["credits"]["10"] == {"standard": 150, "high": 375}
    assert answer["user"] == {pro: {"10": ["high"]}}
    assert answer["config_file"] == str(path)  # the test client is a loopback peer
    path.write_text(json.dumps({"prices": {pro: {"10": {"high": "x"}}}}), encoding="utf-8")
    broken = await (await client.get("/freesora/prices")).json()
    rule = "must be a number of credits from 0 to 1,000,000,000"
    assert broken["problem"] == f'prices.{pro}.10.high {rule}, got "x"'
    assert broken["models"][pro]["credits"]["10"]["high"] == 330  # the estimate meanwhile


async def test_the_task_list_says_each_price_and_the_last_24_hours_against_the_budget(
    client: TestClient[Any, Any], env: dict[str, str], tmp_path: Path
) -> None:
    from freesora.ledger import Charge, Take

    path = Path(env["FREESORA_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    key = "sk-sandbox-budget-route-0001"
    profile = {"api_key": key, "daily_budget": 500}
    path.write_text(json.dumps({"profiles": {"default": profile}}), encoding="utf-8")
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    account = await ledger.account("default", key)
    decision = await ledger.claim(
        Take(account=account, request="r" * 64, seed=1),
        model="sora-2-text-to-video",
        charge=Charge(45, 500),
    )
    assert decision.claim is not None
    await decision.claim.created("task-priced")
    answer = await (await client.get("/freesora/tasks")).json()
    assert answer["tasks"][0]["price"] == 45
    assert answer["spent"] == {"credits": 45, "budget": 500, "profile": "default"}


async def test_tasks_are_listed_newest_first_and_paged(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")  # the same file the routes' ledger reads
    for n in range(5):
        await ledger.remember(f"task-{n}", model="sora-2-text-to-video", summary=f"prompt {n}")
    await ledger.record_outcome(
        "task-3", TakeState.SUCCEEDED, url="https://x/3.mp4", file="/out/freesora_00003.mp4"
    )
    first = await (await client.get("/freesora/tasks?limit=2")).json()
    assert [row["task_id"] for row in first["tasks"]] == ["task-4", "task-3"]
    assert first["tasks"][1]["status"] == "succeeded"
    assert first["tasks"][1]["file"] == "/out/freesora_00003.mp4"
    assert first["total"] == 5
    rest = await (await client.get("/freesora/tasks?limit=2&offset=4")).json()
    assert [row["task_id"] for row in rest["tasks"]] == ["task-0"]
    bad = await client.get("/freesora/tasks?limit=0")
    assert bad.status == 400
    assert "limit must be 1 to 200" in (await bad.json())["error"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
    ids=["other-origin", "null-origin", "cross-site", "same-site"],
)
async def test_every_route_refuses_another_origin_and_changes_nothing(
    client: TestClient[Any, Any], env: dict[str, str], method: str, path: str, headers: Any
) -> None:
    resp = await client.request(method, path, json={"api_key": CANARY}, headers=headers)
    assert resp.status == 403
    assert "this ComfyUI only" in (await resp.json())["error"]
    assert not Path(env["FREESORA_CONFIG"]).exists()


async def test_the_same_origin_is_served(client: TestClient[Any, Any]) -> None:
    host = f"{client.server.host}:{client.server.port}"
    headers = {"Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}
    resp = await client.get("/freesora/prices", headers=headers)
    assert resp.status == 200


async def test_a_page_bound_given_as_markup_is_refused_without_being_repeated(
    client: TestClient[Any, Any],
) -> None:
    for query in ("limit=%3Cscript%3Ealert(1)%3C/script%3E", "offset=%3Cb%3E1"):
        resp = await client.get(f"/freesora/tasks?{query}")
        text = await resp.text()
        assert resp.status == 400
        assert "must be a whole number" in json.loads(text)["error"]
        assert "<" not in text
