"""Where the key and base URL come from, and that the key never shows itself."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from freesora.config import (
    DEFAULT_BASE_URL,
    ApiKey,
    config_path,
    load_settings,
    save_profile,
)
from freesora.errors import ConfigError

FAKE_KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment whose config file lives in a temporary folder."""
    return {"FREESORA_CONFIG": str(tmp_path / "config.json")}


def write_config(env: dict[str, str], data: object) -> None:
    Path(env["FREESORA_CONFIG"]).write_text(json.dumps(data), encoding="utf-8")


def test_the_key_comes_from_the_environment_first(env: dict[str, str]) -> None:
    write_config(env, {"profiles": {"default": {"api_key": "sk-from-file"}}})
    settings = load_settings(env={**env, "FREESORA_API_KEY": FAKE_KEY})
    assert settings.require_key().reveal() == FAKE_KEY
    assert settings.key_source == "environment variable FREESORA_API_KEY"
    assert settings.base_url == DEFAULT_BASE_URL


def test_the_key_falls_back_to_the_config_file(env: dict[str, str]) -> None:
    write_config(env, {"profiles": {"default": {"api_key": FAKE_KEY}}})
    settings = load_settings(env=env)
    assert settings.require_key().reveal() == FAKE_KEY
    assert "config file" in settings.key_source


@pytest.mark.parametrize("raw", [f'"{FAKE_KEY}"', f"  {FAKE_KEY}\n", f"'{FAKE_KEY}'"])
def test_quotes_and_spaces_pasted_around_the_key_are_removed(env: dict[str, str], raw: str) -> None:
    settings = load_settings(env={**env, "FREESORA_API_KEY": raw})
    assert settings.require_key().reveal() == FAKE_KEY


def test_a_missing_key_says_where_to_set_it(env: dict[str, str]) -> None:
    settings = load_settings(env=env)
    with pytest.raises(ConfigError) as info:
        settings.require_key()
    assert "FREESORA_API_KEY" in str(info.value)
    assert "freesora key set" in str(info.value)


def test_the_key_never_appears_in_repr_or_str(env: dict[str, str]) -> None:
    settings = load_settings(env={**env, "FREESORA_API_KEY": FAKE_KEY})
    for text in (repr(settings), str(settings), repr(settings.api_key), f"{settings.api_key}"):
        assert FAKE_KEY not in text
    assert ApiKey(FAKE_KEY) == ApiKey(FAKE_KEY)


def test_the_base_url_comes_from_the_environment_without_a_trailing_slash(
    env: dict[str, str],
) -> None:
    settings = load_settings(env={**env, "FREESORA_BASE_URL": "http://127.0.0.1:8765/"})
    assert settings.base_url == "http://127.0.0.1:8765"


@pytest.mark.parametrize("url", ["127.0.0.1:8765", "ftp://host", "http://"])
def test_a_base_url_that_is_not_http_is_refused_naming_the_variable(
    env: dict[str, str], url: str
) -> None:
    with pytest.raises(ConfigError, match="FREESORA_BASE_URL"):
        load_settings(env={**env, "FREESORA_BASE_URL": url})


def test_a_named_profile_uses_its_own_key_and_ignores_the_environment(env: dict[str, str]) -> None:
    write_config(
        env,
        {"profiles": {"work": {"api_key": "sk-work", "base_url": "http://127.0.0.1:9/"}}},
    )
    settings = load_settings("work", env={**env, "FREESORA_API_KEY": FAKE_KEY})
    assert settings.require_key().reveal() == "sk-work"
    assert settings.base_url == "http://127.0.0.1:9"
    assert settings.profile == "work"


def test_an_unknown_profile_lists_the_known_ones(env: dict[str, str]) -> None:
    write_config(env, {"profiles": {"work": {}, "home": {}}})
    with pytest.raises(ConfigError, match="home, work"):
        load_settings("play", env=env)


def test_a_broken_config_file_is_reported_without_its_content(env: dict[str, str]) -> None:
    Path(env["FREESORA_CONFIG"]).write_text('{"api_key": "sk-secret-abc", ', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(env=env)
    assert "sk-secret-abc" not in str(info.value)
    assert "cannot be read" in str(info.value)


def test_saving_a_key_keeps_other_profiles_and_is_owner_only(env: dict[str, str]) -> None:
    write_config(env, {"profiles": {"work": {"api_key": "sk-work"}}})
    path = save_profile("default", api_key=f" {FAKE_KEY} ", env=env)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["profiles"]["default"]["api_key"] == FAKE_KEY
    assert data["profiles"]["work"]["api_key"] == "sk-work"
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_settings(env=env).require_key().reveal() == FAKE_KEY


def test_the_config_file_lives_in_the_users_config_folder_not_in_the_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    path = config_path({"XDG_CONFIG_HOME": str(tmp_path)})
    assert path == tmp_path / "freesora" / "config.json"
    monkeypatch.setattr(sys, "platform", "win32")
    assert config_path({"APPDATA": str(tmp_path)}) == tmp_path / "freesora" / "config.json"
    monkeypatch.setattr(sys, "platform", "darwin")
    for home in ("HOME", "USERPROFILE"):  # Path.home() reads the second on Windows
        monkeypatch.setenv(home, str(tmp_path))
    support = tmp_path / "Library" / "Application Support"
    assert config_path({"XDG_CONFIG_HOME": "/elsewhere"}) == support / "freesora" / "config.json"
    pack = Path(__file__).resolve().parents[2]
    assert pack not in config_path({}).parents


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
@pytest.mark.parametrize("planted", ["config.json.tmp", ".config.json.tmp", "config.json"])
def test_a_symlink_planted_beside_the_config_file_never_receives_the_key(
    env: dict[str, str], tmp_path: Path, planted: str
) -> None:
    # A rewrite through a fixed temp name would write the key into whatever a link there names.
    victim = tmp_path / "elsewhere" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text("{}", encoding="utf-8")
    (tmp_path / planted).symlink_to(victim)
    path = save_profile("default", api_key=FAKE_KEY, env=env)
    assert FAKE_KEY not in victim.read_text(encoding="utf-8")
    assert not path.is_symlink()
    assert load_settings(env=env).require_key().reveal() == FAKE_KEY
    extra = {p.name for p in tmp_path.iterdir()} - {"config.json", planted, "elsewhere"}
    assert extra == set()  # no temp file left behind


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_the_config_file_is_owner_only_from_its_first_byte(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    modes: list[int] = []
    real_fsync = os.fsync

    def fsync_noting_the_mode(fd: int) -> None:
        modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real_fsync(fd)

    old_umask = os.umask(0)  # a careless umask must not open the file to others
    try:
        monkeypatch.setattr(os, "fsync", fsync_noting_the_mode)
        save_profile("default", api_key=FAKE_KEY, env=env)
    finally:
        os.umask(old_umask)
    assert modes
    assert modes[0] == 0o600  # the temp file, while the key is in it


@pytest.mark.parametrize(
    "url",
    [
        "http://freesoragenerator.com",  # the key would cross the internet in clear text
        "http://192.168.1.20:8765",  # ... or the LAN, or a tailnet
        "http://100.64.0.7:8765",
        "http://service.invalid",
        "http://localhost.attacker.example",  # a name that only starts like localhost
    ],
)
def test_a_plain_http_base_url_is_refused_unless_its_host_is_this_machine(
    env: dict[str, str], url: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={**env, "FREESORA_BASE_URL": url})
    message = str(caught.value)
    assert "FREESORA_BASE_URL" in message
    assert "https" in message
    assert "loopback" in message  # what is allowed instead


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765",
        "http://127.8.9.10:8765",
        "http://[::1]:8765",
        "http://localhost:8765",
        "http://LocalHost.:8765",
        "http://sandbox.localhost:8765",
        "https://192.168.1.20:8765",
        "https://freesoragenerator.com",
    ],
)
def test_https_anywhere_and_http_on_this_machine_are_accepted(
    env: dict[str, str], url: str
) -> None:
    assert load_settings(env={**env, "FREESORA_BASE_URL": url}).base_url == url


def test_save_profile_refuses_a_plain_http_base_url_for_a_public_host(
    env: dict[str, str],
) -> None:
    with pytest.raises(ConfigError, match="base_url"):
        save_profile("work", base_url="http://freesoragenerator.com", env=env)
    assert not config_path(env).exists()


def test_a_profiles_daily_budget_is_read_and_the_environment_wins_for_the_default(
    env: dict[str, str],
) -> None:
    write_config(
        env, {"profiles": {"default": {"daily_budget": 500}, "farm": {"daily_budget": 2000.5}}}
    )
    assert load_settings(env=env).daily_budget == 500
    assert "daily_budget" in load_settings(env=env).budget_source
    assert load_settings("farm", env).daily_budget == 2000.5
    chosen = load_settings(env={**env, "FREESORA_DAILY_BUDGET": "1_000"})
    assert chosen.daily_budget == 1000
    assert "FREESORA_DAILY_BUDGET" in chosen.budget_source
    # The environment is the default profile's only, like the key.
    assert load_settings("farm", {**env, "FREESORA_DAILY_BUDGET": "1"}).daily_budget == 2000.5


def test_no_budget_is_none_and_says_where_one_would_be_set(env: dict[str, str]) -> None:
    settings = load_settings(env=env)
    assert settings.daily_budget is None
    assert "FREESORA_DAILY_BUDGET" in settings.budget_source


@pytest.mark.parametrize(
    "bad", ["x", -5, True, [1], "nan", pytest.param(10**400, id="10**400"), "1e400", 10**9 + 1]
)
def test_a_budget_that_is_not_a_number_of_credits_in_range_is_refused_naming_it(
    env: dict[str, str], bad: object
) -> None:
    write_config(env, {"profiles": {"default": {"daily_budget": bad}}})
    rule = "must be a number of credits from 0 to 1,000,000,000"
    with pytest.raises(ConfigError, match=rf"daily_budget.*{rule}"):
        load_settings(env=env)
    with pytest.raises(ConfigError, match="FREESORA_DAILY_BUDGET must be a number of credits"):
        load_settings(
            env={
                "FREESORA_CONFIG": env["FREESORA_CONFIG"] + ".none",
                "FREESORA_DAILY_BUDGET": str(bad),
            }
        )


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("", None),
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_start_when_queued_is_read_from_the_environment(raw: str, value: bool | None) -> None:
    from freesora.config import start_when_queued_setting

    assert start_when_queued_setting({"FREESORA_START_WHEN_QUEUED": raw}) is value


def test_a_start_when_queued_value_that_is_not_a_switch_word_names_the_variable() -> None:
    from freesora.config import start_when_queued_setting

    with pytest.raises(ConfigError) as caught:
        start_when_queued_setting({"FREESORA_START_WHEN_QUEUED": "sometimes"})
    assert str(caught.value) == (
        "FREESORA_START_WHEN_QUEUED must be one of 1, true, yes, on, 0, false, no, off; "
        "got 'sometimes'"
    )
