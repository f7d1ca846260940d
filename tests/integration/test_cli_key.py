"""`freesora key set` as a user runs it: the key typed at a hidden prompt, checked like the page."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

GOOD_KEY = "sk-sandbox-cli-key-0123456789"
# Windows' getpass reads the console itself (msvcrt), never a piped stdin.
pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="getpass reads the Windows console, not a piped stdin"
)


async def key_set(tmp_path: Path, typed: str, *options: str) -> tuple[int, str]:
    """Run the command in a new session: no terminal, so getpass reads the typed line from stdin."""
    env = {**os.environ, "FREESORA_CONFIG": str(tmp_path / "config.json")}
    env.pop("FREESORA_API_KEY", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "freesora.cli",
        *options,
        "key",
        "set",
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    _, err = await asyncio.wait_for(proc.communicate(typed.encode()), timeout=60)
    return proc.returncode or 0, err.decode()


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("sk-with space-inside\n", "without spaces"),
        ("sk-abc\n", "8 to 512 characters"),
        ("sk-ünïcode-key-1234\n", "printable ASCII"),
        ("\n", "empty"),
    ],
)
async def test_a_key_of_the_wrong_form_is_refused_as_the_page_refuses_it_and_nothing_is_written(
    tmp_path: Path, typed: str, fragment: str
) -> None:
    code, err = await key_set(tmp_path, typed)
    assert code == 2, err
    assert "api_key" in err
    assert fragment in err
    assert "nothing saved" in err
    assert typed.strip() not in err or not typed.strip()
    assert not (tmp_path / "config.json").exists()


async def test_a_key_pasted_as_the_profile_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    code, err = await key_set(tmp_path, GOOD_KEY + "\n", "--profile", GOOD_KEY)
    assert code == 2, err
    assert "profile looks like an API key" in err
    assert GOOD_KEY not in err
    assert not (tmp_path / "config.json").exists()


async def test_a_well_formed_key_is_stored_cleaned(tmp_path: Path) -> None:
    code, err = await key_set(tmp_path, f' "{GOOD_KEY}" \n', "--profile", "work")
    assert code == 0, err
    data = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert data["profiles"]["work"]["api_key"] == GOOD_KEY


async def key_set_in(
    config: Path, typed: str | None, env_key: str | None = None
) -> tuple[int, str]:
    """`key set` with its config file at `config`; `typed` None: stdin is /dev/null (no key)."""
    env = {**os.environ, "FREESORA_CONFIG": str(config)}
    env.pop("FREESORA_API_KEY", None)
    if env_key is not None:
        env["FREESORA_API_KEY"] = env_key
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "freesora.cli", "key", "set"),
        env=env,
        stdin=asyncio.subprocess.DEVNULL if typed is None else asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    given = None if typed is None else typed.encode()
    _, err = await asyncio.wait_for(proc.communicate(given), timeout=60)
    return proc.returncode or 0, err.decode()


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if not line.startswith("FreeSora API key")]
    assert len(lines) == 1, err
    return lines[0]


async def test_no_key_on_stdin_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    code, err = await key_set_in(tmp_path / "config.json", None)
    assert code == 2, err
    assert "no key" in one_line(err)
    assert not (tmp_path / "config.json").exists()


async def test_a_config_folder_that_is_a_file_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("not a folder")
    config = tmp_path / "plain-file" / "config.json"
    code, err = await key_set_in(config, GOOD_KEY + "\n")
    assert code == 2, err
    assert str(config) in one_line(err)


async def test_a_config_folder_that_may_not_be_written_is_one_line_naming_it(
    tmp_path: Path,
) -> None:
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
    elif Path("/sys/kernel").is_dir():
        folder = Path("/sys/freesora-cannot-write-here")
    else:
        pytest.skip("root, and no /sys to refuse a write")
    config = folder / "freesora" / "config.json"
    code, err = await key_set_in(config, GOOD_KEY + "\n")
    assert code == 2, err
    assert str(config) in one_line(err)


async def test_a_value_not_of_a_keys_form_is_refused(tmp_path: Path) -> None:
    code, err = await key_set_in(tmp_path / "config.json", "not-a-key\n")
    assert code == 2, err
    line = one_line(err)
    assert "sk-" in line
    assert "not-a-key" not in line
    assert not (tmp_path / "config.json").exists()


async def test_a_piped_key_is_stored_without_pythons_getpass_warning(tmp_path: Path) -> None:
    code, err = await key_set_in(tmp_path / "config.json", GOOD_KEY + "\n")
    assert code == 0, err
    assert "GetPassWarning" not in err
    assert "may be echoed" not in err
    assert GOOD_KEY not in err


async def test_key_set_says_when_the_environments_key_wins_over_the_stored_one(
    tmp_path: Path,
) -> None:
    code, err = await key_set_in(
        tmp_path / "config.json", GOOD_KEY + "\n", env_key="sk-from-the-environment-123"
    )
    assert code == 0, err
    assert "FREESORA_API_KEY" in err
    assert "wins" in err
    assert "sk-from-the-environment" not in err
    plain = await key_set_in(tmp_path / "config.json", GOOD_KEY + "\n")
    assert "FREESORA_API_KEY" not in plain[1]
