"""The key's form and status helpers behind the frontend: no message ever repeats a key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freesora.config import (
    Caller,
    check_key_form,
    check_profile_name,
    key_status,
    remove_key,
    save_profile,
)
from freesora.errors import ConfigError, KeyExistsError

CANARY = "sk-canary-0123456789abcdef"


@pytest.mark.parametrize(
    "raw", [CANARY + " tail", CANARY + "\x00", "é" + CANARY, CANARY * 40, CANARY[:5]]
)
def test_a_key_of_the_wrong_form_is_refused_without_repeating_it(raw: str) -> None:
    with pytest.raises(ConfigError, match="api_key") as caught:
        check_key_form(raw)
    assert CANARY[3:12] not in str(caught.value)


def test_a_value_that_does_not_start_as_keys_do_is_refused() -> None:
    with pytest.raises(ConfigError, match="must start with sk-"):
        check_key_form("not-a-key-at-all")


def test_a_pasted_key_is_cleaned_of_quotes_and_newlines() -> None:
    assert check_key_form(f' "{CANARY}"\r\n') == CANARY


def test_a_key_pasted_into_the_profile_is_refused_without_repeating_it() -> None:
    for pasted in (CANARY + " x", CANARY):
        with pytest.raises(ConfigError, match="profile") as caught:
            check_profile_name(pasted)
        assert CANARY not in str(caught.value)
    assert check_profile_name("") == "default"
    assert check_profile_name(" work ") == "work"


def test_remove_key_also_clears_the_older_flat_layout(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"api_key": CANARY}))
    env = {"FREESORA_CONFIG": str(path)}
    assert key_status(None, Caller(here=True, env=env)) == {
        "set": True,
        "source": "config file",
        "profile": "default",
    }
    assert remove_key("default", env) is True
    assert CANARY not in path.read_text()
    assert key_status(None, Caller(here=True, env=env))["set"] is False


def test_an_unknown_profile_is_reported_not_raised(tmp_path: Path) -> None:
    env = {"FREESORA_CONFIG": str(tmp_path / "absent.json")}
    status = key_status("work", Caller(here=True, env=env))
    assert (status["set"], status["source"]) == (False, None)
    assert "not in the FreeSora config file" in status["problem"]


def test_the_writer_refuses_a_key_of_the_wrong_form_whoever_calls_it(tmp_path: Path) -> None:
    env = {"FREESORA_CONFIG": str(tmp_path / "config.json")}
    for raw, fragment in (("sk-abc", "8 to 512"), (CANARY + " tail", "without spaces")):
        with pytest.raises(ConfigError, match=fragment):
            save_profile("default", api_key=raw, env=env)
    with pytest.raises(ConfigError, match="looks like an API key"):
        save_profile(CANARY, api_key=CANARY, env=env)
    assert not (tmp_path / "config.json").exists()


@pytest.mark.parametrize(
    "layout",
    [{"profiles": {"default": {"api_key": CANARY}}}, {"api_key": CANARY}],
    ids=["profiles", "flat"],
)
def test_a_stored_key_is_kept_when_replacing_is_not_allowed(
    tmp_path: Path, layout: dict[str, object]
) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(layout), encoding="utf-8")
    env = {"FREESORA_CONFIG": str(path)}
    before = path.read_bytes()
    with pytest.raises(KeyExistsError, match="already stored"):
        save_profile("default", api_key="sk-other-0123456789", env=env, replace_key=False)
    assert path.read_bytes() == before
    save_profile("work", api_key="sk-other-0123456789", env=env, replace_key=False)
    assert json.loads(path.read_text())["profiles"]["work"]["api_key"] == "sk-other-0123456789"
