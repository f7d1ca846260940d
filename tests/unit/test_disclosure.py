"""What a caller who is not at the machine itself is told (a tunnel's visitor, a LAN user,
whoever queued a prompt): no path, no database location, no other profile's name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freesora.config import Caller, profile_problem
from freesora.config.disclosure import A_DATABASE, A_PATH

CANARY = "sk-canary-0123456789abcdef"
OTHERS = ("client-acme", "client-zenith")


def config_env(tmp_path: Path, data: object) -> dict[str, str]:
    path = tmp_path / "alice-private" / "config.json"
    path.parent.mkdir()
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return {"FREESORA_CONFIG": str(path)}


def test_a_queue_time_unknown_profile_names_the_profile_typed_but_not_the_others_or_the_file(
    tmp_path: Path,
) -> None:
    env = config_env(tmp_path, {"profiles": {name: {"api_key": CANARY} for name in OTHERS}})
    problem = profile_problem("work", env) or ""
    assert problem.startswith("profile: profile 'work' is not in the FreeSora config file")
    assert "freesora --profile work key set" in problem
    for name in OTHERS:
        assert name not in problem
    assert "alice-private" not in problem
    assert profile_problem("client-acme", env) is None


def test_a_key_typed_into_the_profile_widget_is_not_repeated_at_queue_time(
    tmp_path: Path,
) -> None:
    env = config_env(tmp_path, {"profiles": {}})
    problem = profile_problem(CANARY, env) or ""
    assert "looks like an API key" in problem
    assert CANARY[3:] not in problem


def test_a_queue_time_config_problem_names_the_file_by_its_role(tmp_path: Path) -> None:
    env = config_env(tmp_path, "{not json")
    problem = profile_problem("work", env) or ""
    assert problem == "profile: The FreeSora config file cannot be read (JSONDecodeError)"


@pytest.mark.parametrize(
    "path",
    [
        "/home/alice/ComfyUI/user/__freesora/tasks.jsonl",
        "/Users/alice/Library/Application Support/freesora/tasks.jsonl",
        r"C:\Users\Alice Smith\ComfyUI_windows_portable\ComfyUI\user\__freesora\tasks.jsonl",
        "C:/Users/alice/tasks.jsonl",
        r"\\nas\alice\tasks.jsonl",
        "~/freesora/tasks.jsonl",
        "file:///home/alice/tasks.jsonl",
        "alice/freesora/tasks.jsonl",
    ],
)
def test_a_path_of_any_system_is_hidden_from_a_caller_elsewhere(path: str) -> None:
    message = f"the task journal {path} cannot be read: '{path}'."
    told = Caller(here=False).told(message)
    assert told == f"the task journal {A_PATH} cannot be read: '{A_PATH}'."
    assert "alice" not in told.lower()


def test_a_database_is_hidden_from_a_caller_elsewhere_but_the_form_asked_for_is_shown() -> None:
    caller = Caller(here=False)
    refused = "Cannot use the shared ledger at postgresql://farm@db.internal:5432/studio: no."
    assert caller.told(refused) == f"Cannot use the shared ledger at {A_DATABASE}: no."
    asked = "journal must be a file path or a postgresql://user@host:port/dbname URL"
    assert caller.told(asked) == asked


def test_web_addresses_and_plain_words_are_shown_to_a_caller_elsewhere() -> None:
    message = (
        "n_frames 12 -> 15 s, crop/pad and/or 16:9; the service at "
        "https://api.freesoragenerator.com/v1/videos/status said 503 (task ab/cd)"
    )
    assert Caller(here=False).told(message) == message


def test_the_config_file_is_named_by_its_role_and_the_machine_itself_is_told_its_path(
    tmp_path: Path,
) -> None:
    env = {"FREESORA_CONFIG": str(tmp_path / "My Config" / "config.json")}
    message = f"The config file {env['FREESORA_CONFIG']} must hold a JSON object"
    elsewhere = Caller(here=False, env=env)
    assert elsewhere.told(message) == "The FreeSora config file must hold a JSON object"
    assert elsewhere.config_file() is None
    here = Caller(here=True, env=env)
    assert here.told(message) == message
    assert here.config_file() == env["FREESORA_CONFIG"]


@pytest.mark.parametrize(
    "file",
    [
        "/home/alice/ComfyUI/output/freesora/freesora_task-1.mp4",
        r"C:\Users\Alice Smith\ComfyUI\output\freesora_task-1.mp4",
        "freesora_task-1.mp4",
    ],
)
def test_a_video_is_shown_elsewhere_by_its_file_name_only(file: str) -> None:
    assert Caller(here=False).file(file) == "freesora_task-1.mp4"
    assert Caller(here=True).file(file) == file
    assert Caller(here=False).file(None) is None
