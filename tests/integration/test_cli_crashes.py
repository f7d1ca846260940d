"""`freesora create` killed or interrupted mid-create, as real processes with real signals.

After kill -9 the same request and seed is not created again, and the user is told the task
may exist. Ctrl+C waits for the create's answer; a second Ctrl+C stops at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_runner import cli_env

from freesora.config import MAX_CREDITS
from freesora.ledger import FileLedger, TakeState
from freesora.sandbox import Sandbox, run_sandbox

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
KEY = "sk-sandbox-crash-0123456789abcdef"
CREATE = ("create", "--model", "sora-2-text-to-video", "--prompt", "A boat", "--seed", "7")


@dataclass
class Cli:
    sandbox: Sandbox
    env: dict[str, str]
    journal: Path

    async def start(self, *args: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "freesora.cli",
            *args,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    async def run(self, *args: str) -> tuple[int, str, str]:
        proc = await self.start(*args)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        return proc.returncode or 0, out.decode(), err.decode()

    async def creates_arrived(self, count: int) -> None:
        # The sandbox offers no event for "a create arrived": poll its record of requests.
        while len(self.sandbox.received.creates) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def ctrl_c_heard_mid_create(cli: Cli, proc: asyncio.subprocess.Process) -> bytes:
    """Ctrl+C once the create reached the sandbox; what stderr said until the command heard it."""
    await asyncio.wait_for(cli.creates_arrived(1), 30)
    proc.send_signal(signal.SIGINT)
    assert proc.stderr is not None
    seen = b""
    while b"waiting for its answer" not in seen:
        seen += await asyncio.wait_for(proc.stderr.readline(), 30)
    return seen


@pytest.fixture
async def cli(tmp_path: Path) -> AsyncIterator[Cli]:
    async with run_sandbox(task_seconds=1.0, create_seconds=1.5) as running:
        env = cli_env(running.base_url, tmp_path, key=KEY)
        yield Cli(running.sandbox, env, tmp_path / "tasks.jsonl")


async def test_kill_9_mid_create_then_the_same_seed_is_not_created_again(cli: Cli) -> None:
    proc = await cli.start(*CREATE)
    await asyncio.wait_for(cli.creates_arrived(1), 30)
    proc.kill()  # SIGKILL: no handler, no outcome written
    await proc.wait()
    await cli.sandbox.drain()
    assert len(cli.sandbox.tasks) == 1  # the service finished it: charged
    code, out, err = await cli.run(*CREATE)
    assert code == 1, err
    assert "may have been charged" in err
    assert "its process stopped before the answer was recorded" in err
    assert "freesora tasks adopt" in err
    assert len(cli.sandbox.received.creates) == 1  # not sent again
    [task_id] = list(cli.sandbox.tasks)
    [entry] = await FileLedger(cli.journal).entries()
    take = entry.take_key[:12]
    code, out, err = await cli.run("tasks", "adopt", take, task_id)
    assert code == 0, err
    code, out, err = await cli.run(*CREATE)
    assert (code, out.strip().splitlines()[-1]) == (0, task_id)
    assert "reused" in err
    assert len(cli.sandbox.received.creates) == 1


async def test_a_kill_mid_create_at_the_highest_price_the_config_accepts_never_creates_twice(
    cli: Cli,
) -> None:
    prices = {"sora-2-text-to-video": {"10": {"standard": MAX_CREDITS}}}
    Path(cli.env["FREESORA_CONFIG"]).write_text(json.dumps({"prices": prices}), encoding="utf-8")
    proc = await cli.start(*CREATE)
    await asyncio.wait_for(cli.creates_arrived(1), 30)
    proc.kill()  # SIGKILL mid-create: the SENDING record is all the journal has
    await proc.wait()
    await cli.sandbox.drain()
    code, _, err = await cli.run(*CREATE)
    assert code == 1, err
    assert "may have been charged" in err
    assert len(cli.sandbox.received.creates) == 1  # not sent again
    [entry] = await FileLedger(cli.journal).entries()
    assert entry.price == MAX_CREDITS
    assert await FileLedger(cli.journal).problems() == []


async def test_ctrl_c_during_create_waits_for_the_answer_and_records_it(cli: Cli) -> None:
    proc = await cli.start(*CREATE)
    await asyncio.wait_for(cli.creates_arrived(1), 30)
    proc.send_signal(signal.SIGINT)
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130, err.decode()
    [task_id] = list(cli.sandbox.tasks)
    assert task_id in err.decode()  # told which task was made
    [entry] = await FileLedger(cli.journal).entries()
    assert (entry.state, entry.task_id) == (TakeState.CREATED, task_id)
    code, out_again, _ = await cli.run(*CREATE)
    assert (code, out_again.strip()) == (0, task_id)
    assert len(cli.sandbox.received.creates) == 1


async def test_a_second_ctrl_c_stops_at_once_and_says_what_may_be_charged(cli: Cli) -> None:
    proc = await cli.start(*CREATE)
    await ctrl_c_heard_mid_create(cli, proc)
    proc.send_signal(signal.SIGINT)
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130
    assert "may have been charged" in err.decode()
    assert "freesora tasks" in err.decode()
    await cli.sandbox.drain()
    code, _, err_again = await cli.run(*CREATE)
    assert code == 1
    assert "may have been charged" in err_again
    assert len(cli.sandbox.received.creates) == 1


async def test_ctrl_c_after_the_create_was_sent_ends_with_one_clear_message(cli: Cli) -> None:
    proc = await cli.start(*CREATE)
    await asyncio.wait_for(cli.creates_arrived(1), 30)
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130
    [task_id] = list(cli.sandbox.tasks)
    told = err.decode()
    assert "if the create had been sent" not in told  # it was, and its answer came
    [last] = [line for line in told.splitlines() if task_id in line]  # told once
    assert last == told.strip().splitlines()[-1]
    assert f"freesora wait {task_id}" in last
    assert out.decode().strip() == task_id  # stdout's last line: the id, as after any create


async def test_a_second_ctrl_c_says_what_may_be_charged_on_lines_of_its_own(cli: Cli) -> None:
    proc = await cli.start(*CREATE)
    seen = await ctrl_c_heard_mid_create(cli, proc)
    proc.send_signal(signal.SIGINT)
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130
    told = (seen + err).decode()
    assert told.endswith("\n")
    for line in told.splitlines():
        assert line.count("freesora:") <= 1, line  # never one message glued to another
