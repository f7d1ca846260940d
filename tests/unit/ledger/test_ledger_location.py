"""Where the ledger is: a file by default, a PostgreSQL database when a URL names one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from freesora.config import default_journal_path, load_settings
from freesora.errors import ConfigError, LedgerError
from freesora.ledger import ledger_location, open_ledger

URL = "postgresql://farm@127.0.0.1:1/freesora"


def write_config(tmp_path: Path, data: dict[str, object]) -> dict[str, str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return {"FREESORA_CONFIG": str(path)}


def test_a_postgresql_journal_is_a_database_not_a_relative_file_path(tmp_path: Path) -> None:
    env = {**write_config(tmp_path, {}), "FREESORA_JOURNAL": URL}
    assert ledger_location(load_settings(None, env)) == URL
    # The URL is never read as a path (a folder named "postgresql:" per process): the default
    # place is the data folder's, whatever FREESORA_JOURNAL says.
    assert default_journal_path(env) == default_journal_path({})


def test_the_local_file_stays_the_default(tmp_path: Path) -> None:
    env = write_config(tmp_path, {})
    assert ledger_location(load_settings(None, env)) == default_journal_path()
    assert ledger_location(load_settings(None, env), tmp_path / "t.jsonl") == tmp_path / "t.jsonl"
    asked = []

    def comfy_folder() -> Path:  # finding it may move a folder: asked only when it is needed
        asked.append(True)
        return tmp_path / "c.jsonl"

    assert ledger_location(load_settings(None, env), comfy_folder) == tmp_path / "c.jsonl"
    env["FREESORA_JOURNAL"] = str(tmp_path / "j")
    assert ledger_location(load_settings(None, env)) == tmp_path / "j"
    assert ledger_location(load_settings(None, env), comfy_folder) == tmp_path / "j"
    assert asked == [True]


def test_a_profile_may_name_its_journal_and_the_environment_wins_for_the_default(
    tmp_path: Path,
) -> None:
    profiles = {"farm": {"journal": URL}, "plain": {}, "default": {"journal": "/elsewhere.jsonl"}}
    env = write_config(tmp_path, {"profiles": profiles})
    assert ledger_location(load_settings("farm", env)) == URL
    env_default = {**env, "FREESORA_JOURNAL": str(tmp_path / "mine.jsonl")}
    assert ledger_location(load_settings(None, env_default)) == Path(tmp_path / "mine.jsonl")
    # Another profile keeps its own journal; one that names none takes FREESORA_JOURNAL.
    assert ledger_location(load_settings("farm", env_default)) == URL
    assert ledger_location(load_settings("plain", env_default)) == tmp_path / "mine.jsonl"
    default = tmp_path / "t.jsonl"
    assert ledger_location(load_settings("plain", env), default) == default


@pytest.mark.parametrize(
    ("journal", "says"),
    [("mysql://u@h/db", "postgresql://"), ("postgresql://u@h:5432", "must name a database")],
)
def test_a_journal_that_is_neither_a_path_nor_a_database_is_refused(
    tmp_path: Path, journal: str, says: str
) -> None:
    env = write_config(tmp_path, {"profiles": {"farm": {"journal": journal}}})
    with pytest.raises(ConfigError, match=says) as caught:
        load_settings("farm", env)
    assert "journal" in str(caught.value)


async def test_an_unreachable_database_is_an_error_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LedgerError, match="Cannot use the shared ledger at") as caught:
        await open_ledger(URL)
    assert "nothing was sent" in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # no "postgresql:" folder in the working folder


BLOCK_PSYCOPG = """
import asyncio, importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("psycopg", "psycopg_pool"):
            raise ModuleNotFoundError("No module named " + repr(name), name=name)
sys.meta_path.insert(0, Block())
from freesora.ledger import open_ledger
from freesora.errors import ConfigError
try:
    asyncio.run(open_ledger(%r))
except ConfigError as exc:
    print(exc)
"""


def test_a_missing_driver_says_how_to_install_it() -> None:
    out = subprocess.run(
        [sys.executable, "-c", BLOCK_PSYCOPG % URL], capture_output=True, text=True, check=True
    )
    assert "requirements-postgres.txt" in out.stdout
    assert "freesora-nodes[postgres]" in out.stdout


def test_the_pack_imports_no_database_driver_unless_a_database_is_named() -> None:
    code = (
        "import sys, freesora.cli.main; from freesora.ledger import FileLedger, open_ledger;"
        "print(sorted(m for m in sys.modules if m.startswith('psycopg')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
