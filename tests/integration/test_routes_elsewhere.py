"""What the routes tell a caller who is not at the machine itself: no path, no database
location, no other profile's name (the machine itself is told all of it).

A caller elsewhere is emulated as the route guard (routes/guard.py) tells one apart, on a real
server on 127.0.0.1: a tunnel's listed name as Host, or a proxy's forwarding headers (with the
Host it rewrote to 127.0.0.1, or left as it was).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from route_client import route_table

from freesora.ledger import FileLedger, TakeState
from freesora.ledger.file import shared_file_ledger as open_journal

KEY = "sk-sandbox-elsewhere-0123456789"
TUNNEL = "my-tunnel.example.com"
OTHERS = ("client-acme", "client-zenith")  # profiles a caller elsewhere must not learn of
DATABASE = "postgresql://freesora@127.0.0.1:1/secretdb"  # port 1: the connection is refused
ELSEWHERE = {
    "tunnel": {"Host": TUNNEL},
    "proxy": {"X-Forwarded-For": "203.0.113.9"},
    "proxy-rewriting-host": {"Host": "127.0.0.1", "X-Forwarded-For": "203.0.113.9"},
    "proxy-forwarded": {"Host": "localhost", "Forwarded": "for=203.0.113.9"},
}


@pytest.fixture(autouse=True)
def tunnel_listed(env: dict[str, str]) -> None:
    env["FREESORA_ALLOWED_HOSTS"] = TUNNEL


def write_config(env: dict[str, str], data: Any) -> Path:
    path = Path(env["FREESORA_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data)
    path.write_text(text, encoding="utf-8")
    return path


def with_other_profiles(env: dict[str, str], **default: Any) -> Path:
    profiles: dict[str, Any] = {name: {"api_key": KEY} for name in OTHERS}
    if default:
        profiles["default"] = default
    return write_config(env, {"profiles": profiles})


def assert_nothing_private(text: str, tmp_path: Path) -> None:
    assert str(tmp_path) not in text
    assert tmp_path.name not in text
    for name in OTHERS:
        assert name not in text
    assert "secretdb" not in text
    assert "freesora@127.0.0.1" not in text


async def test_an_unknown_profile_is_named_to_a_caller_elsewhere_without_the_profiles_there(
    client: TestClient[Any, Any], env: dict[str, str], tmp_path: Path
) -> None:
    path = with_other_profiles(env)
    for headers in ELSEWHERE.values():
        resp = await client.post("/freesora/key/check", json={"profile": "work"}, headers=headers)
        text = await resp.text()
        assert resp.status == 200, text
        assert_nothing_private(text, tmp_path)
        answer = json.loads(text)
        assert answer["ok"] is False
        assert "profile 'work' is not in the FreeSora config file" in answer["message"]
    here = await (await client.post("/freesora/key/check", json={"profile": "work"})).json()
    assert str(path) in here["message"]  # the machine itself is told the file and its profiles
    assert all(name in here["message"] for name in OTHERS)


async def test_the_price_table_names_no_unreadable_config_file_to_a_caller_elsewhere(
    client: TestClient[Any, Any], env: dict[str, str], tmp_path: Path
) -> None:
    path = write_config(env, "{not json")
    for headers in ELSEWHERE.values():
        resp = await client.get("/freesora/prices", headers=headers)
        text = await resp.text()
        assert resp.status == 200, text
        assert_nothing_private(text, tmp_path)
        answer = json.loads(text)
        assert "config file cannot be read" in answer["problem"]
        assert answer["config_file"] is None
    here = await (await client.get("/freesora/prices")).json()
    assert str(path) in here["problem"]


async def test_the_inbox_shows_a_caller_elsewhere_a_videos_file_name_not_its_folder(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")  # the file the routes' ledger reads
    files = {
        "task-posix": str(tmp_path / "output" / "freesora" / "freesora_task-posix.mp4"),
        "task-windows": r"C:\Users\Jane Doe\ComfyUI\output\freesora\freesora_task-windows.mp4",
    }
    for task_id, file in files.items():
        await ledger.remember(task_id, model="sora-2-text-to-video", summary="a paper boat")
        await ledger.record_outcome(task_id, TakeState.SUCCEEDED, url="https://x/v.mp4", file=file)
    for headers in ELSEWHERE.values():
        resp = await client.get("/freesora/tasks", headers=headers)
        text = await resp.text()
        assert_nothing_private(text, tmp_path)
        assert "Jane Doe" not in text
        rows = {row["task_id"]: row["file"] for row in json.loads(text)["tasks"]}
        assert rows == {task_id: f"freesora_{task_id}.mp4" for task_id in files}
    here = await (await client.get("/freesora/tasks")).json()
    assert {row["task_id"]: row["file"] for row in here["tasks"]} == files


@pytest.mark.parametrize("where", ["database", "folder"])
async def test_a_ledger_that_cannot_be_used_is_reported_to_a_caller_elsewhere_without_its_location(
    configured_client: TestClient[Any, Any], env: dict[str, str], tmp_path: Path, where: str
) -> None:
    if where == "database":
        env["FREESORA_JOURNAL"], named = DATABASE, "shared ledger"
    else:
        folder = tmp_path / "private" / "tasks.jsonl"  # a journal that is a folder
        folder.mkdir(parents=True)
        env["FREESORA_JOURNAL"], named = str(folder), "task journal"
    for headers in ELSEWHERE.values():
        resp = await configured_client.get("/freesora/tasks", headers=headers)
        text = await resp.text()
        assert resp.status == 503, text
        assert_nothing_private(text, tmp_path)
        assert named in json.loads(text)["error"]
    here = await configured_client.get("/freesora/tasks")
    assert here.status == 503
    shown = DATABASE if where == "database" else env["FREESORA_JOURNAL"]
    assert shown in (await here.json())["error"]  # the machine itself is told which


async def test_a_config_file_that_cannot_be_written_is_refused_in_words_without_its_path(
    client: TestClient[Any, Any], env: dict[str, str], tmp_path: Path
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the config's folder should be", encoding="utf-8")
    env["FREESORA_CONFIG"] = str(blocked / "config.json")
    for headers in ELSEWHERE.values():
        resp = await client.post("/freesora/key", json={"api_key": KEY}, headers=headers)
        text = await resp.text()
        assert resp.status == 400, text
        assert_nothing_private(text, tmp_path)
        assert "The FreeSora config file cannot be written" in json.loads(text)["error"]
    here = await client.post("/freesora/key", json={"api_key": KEY})
    assert env["FREESORA_CONFIG"] in (await here.json())["error"]


def unreadable_config(env: dict[str, str], tmp_path: Path) -> None:
    write_config(env, "{not json")


def other_profiles(env: dict[str, str], tmp_path: Path) -> None:
    with_other_profiles(env)


def journal_setting_refused(env: dict[str, str], tmp_path: Path) -> None:
    with_other_profiles(env, api_key=KEY, journal="ftp://files.example/tasks.jsonl")


def base_url_refused(env: dict[str, str], tmp_path: Path) -> None:
    env.pop("FREESORA_BASE_URL", None)
    with_other_profiles(env, api_key=KEY, base_url="http://sora.example")


def budget_refused(env: dict[str, str], tmp_path: Path) -> None:
    with_other_profiles(env, api_key=KEY, daily_budget="lots")


def database_refused(env: dict[str, str], tmp_path: Path) -> None:
    with_other_profiles(env, api_key=KEY, journal=DATABASE)


def journal_is_a_folder(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "private" / "tasks.jsonl"
    folder.mkdir(parents=True, exist_ok=True)
    with_other_profiles(env, api_key=KEY, journal=str(folder))


async def tasks_with_paths(env: dict[str, str], tmp_path: Path) -> None:
    ledger = open_journal(tmp_path / "tasks.jsonl")  # the routes' own ledger of that file
    file = str(tmp_path / "output" / "freesora_task-a.mp4")
    await ledger.remember("task-a", model="sora-2-text-to-video", summary="a paper boat")
    await ledger.record_outcome("task-a", TakeState.SUCCEEDED, url="https://x/a.mp4", file=file)
    await ledger.remember("task-b", model="sora-2-text-to-video", summary="a gull")
    said = f"the video could not be saved in {tmp_path / 'output'}: disk full"
    await ledger.record_outcome("task-b", TakeState.FAILED, reason=said)


STATES: dict[str, Callable[[dict[str, str], Path], Any]] = {
    "unreadable-config": unreadable_config,
    "other-profiles": other_profiles,
    "journal-setting-refused": journal_setting_refused,
    "base-url-refused": base_url_refused,
    "budget-refused": budget_refused,
    "database-refused": database_refused,
    "journal-is-a-folder": journal_is_a_folder,
    "tasks-with-paths": tasks_with_paths,
}


def requests(tmp_path: Path) -> list[tuple[str, str, Any]]:
    """Every route of the table as built (a route added later is swept too), asked about the
    profile 'work' where it takes one."""
    table = route_table({"FREESORA_CONFIG": str(tmp_path / "c.json")}, tmp_path / "t.jsonl")
    found = []
    for route in table:
        method, path = route.method, route.path  # type: ignore[attr-defined]
        body = {"api_key": KEY, "profile": "work"} if method == "POST" else None
        query = "?profile=work" if method in ("GET", "DELETE") and path.endswith("/key") else ""
        found.append((method, path + query, body))
    assert len(found) >= 6
    return found


@pytest.mark.parametrize("caller", list(ELSEWHERE))
@pytest.mark.parametrize("state", list(STATES))
async def test_no_route_names_a_path_a_database_or_another_profile_to_a_caller_elsewhere(
    configured_client: TestClient[Any, Any],
    env: dict[str, str],
    tmp_path: Path,
    state: str,
    caller: str,
) -> None:
    for method, path, body in requests(tmp_path):
        made = STATES[state](env, tmp_path)
        if made is not None:
            await made
        resp = await configured_client.request(method, path, json=body, headers=ELSEWHERE[caller])
        text = await resp.text()
        assert resp.status < 500 or resp.content_type == "application/json", (path, text)
        assert_nothing_private(text, tmp_path)
        Path(env["FREESORA_CONFIG"]).unlink(missing_ok=True)  # the next route starts afresh
        env.pop("FREESORA_JOURNAL", None)
