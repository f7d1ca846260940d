"""`freesora` with FREESORA_JOURNAL naming a farm's PostgreSQL: the real command, a real database.

Issue 14's first defect: a postgresql:// value was taken as a relative file path, so each process
wrote its own folder named `postgresql:` and `freesora tasks` showed nothing.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from freesora.sandbox import Sandbox, run_sandbox

KEY = "sk-sandbox-farm-cli-0123456789"
CREATE = ("create", "--model", "sora-2-text-to-video", "--prompt", "A farm boat", "--seed", "3")


@dataclass
class Farm:
    sandbox: Sandbox
    env: dict[str, str]
    cwd: Path

    async def run(self, *args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "freesora.cli",
            *args,
            env=self.env,
            cwd=self.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
        return proc.returncode or 0, out.decode(), err.decode()


@pytest.fixture
async def farm(pg_url: str, tmp_path: Path) -> AsyncIterator[Farm]:
    async with run_sandbox(task_seconds=1.0) as running:
        env = {
            **os.environ,
            "FREESORA_BASE_URL": running.base_url,
            "FREESORA_API_KEY": KEY,
            "FREESORA_CONFIG": str(tmp_path / "config.json"),
            "FREESORA_JOURNAL": pg_url,
        }
        yield Farm(running.sandbox, env, tmp_path)


async def test_a_postgresql_journal_is_the_database_not_a_folder_named_postgresql(
    farm: Farm,
) -> None:
    code, out, err = await farm.run(*CREATE)
    assert code == 0, err
    task_id = out.strip().splitlines()[-1]
    assert not (farm.cwd / "postgresql:").exists()
    code, listed, err = await farm.run("tasks")
    assert code == 0, err
    assert task_id in listed


async def test_the_same_seed_from_another_process_reuses_the_task_through_the_database(
    farm: Farm, tmp_path: Path
) -> None:
    first = await farm.run(*CREATE)
    # Another worker: another working folder and another local data folder, the same database.
    other = tmp_path / "worker-b"
    other.mkdir()
    farm.cwd = other
    farm.env["XDG_DATA_HOME"] = str(other / "data")
    second = await farm.run(*CREATE)
    assert first[0] == second[0] == 0, (first[2], second[2])
    assert first[1].strip().splitlines()[-1] == second[1].strip().splitlines()[-1]
    assert "reused task" in second[2]
    assert len(farm.sandbox.received.creates) == 1


async def test_an_unreachable_database_is_an_error_before_anything_is_sent(farm: Farm) -> None:
    farm.env["FREESORA_JOURNAL"] = "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"
    code, _, err = await farm.run(*CREATE)
    assert code == 1
    assert "freesora:" in err
    assert "Traceback" not in err
    assert farm.sandbox.received.creates == []
