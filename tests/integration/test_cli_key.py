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
