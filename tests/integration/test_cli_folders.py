"""`freesora` where its files cannot go: a journal, config or output path under a regular file,
a folder it may not write, a port already taken. One line naming the path and what to do,
exit 2, no traceback, nothing sent. Real processes against a real sandbox."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest
from cli_runner import Cli

CREATE = ("create", "--model", "sora-2-text-to-video", "--prompt", "A boat")
TASK_ID = "0123456789abcdef0123456789abcdef"


def unwritable(tmp_path: Path) -> Path:
    """A folder this process may not write in: read-only for a user; for root (who writes
    anywhere a mode says no) a folder under /sys, which refuses everyone."""
    if os.name != "posix":
        pytest.skip("folder modes are POSIX")
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        return folder / "inside"
    if not Path("/sys/kernel").is_dir():
        pytest.skip("root, and no /sys to refuse a write")
    return Path("/sys/freesora-cannot-write-here")


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("command", [CREATE, ("tasks",), ("wait", TASK_ID)])
async def test_a_journal_under_a_regular_file_is_one_line_naming_it(
    cli: Cli, command: tuple[str, ...]
) -> None:
    (cli.cwd / "plain-file").write_text("not a folder")
    journal = cli.cwd / "plain-file" / "tasks.jsonl"
    cli.env["FREESORA_JOURNAL"] = str(journal)
    ran = await cli(*command)
    assert ran.code == 2, ran.err
    line = one_line(ran.err)
    assert str(journal) in line
    assert "FREESORA_JOURNAL" in line
    assert cli.sandbox.received.creates == []


@pytest.mark.parametrize("command", [CREATE, ("tasks",), ("wait", TASK_ID)])
async def test_a_journal_in_a_folder_that_may_not_be_written_is_one_line_naming_it(
    cli: Cli, tmp_path: Path, command: tuple[str, ...]
) -> None:
    journal = unwritable(tmp_path) / "tasks.jsonl"
    cli.env["FREESORA_JOURNAL"] = str(journal)
    ran = await cli(*command)
    assert ran.code == 2, ran.err
    assert str(journal) in one_line(ran.err)
    assert cli.sandbox.received.creates == []


@pytest.mark.parametrize("command", [CREATE, ("tasks",), ("wait", TASK_ID)])
async def test_a_journal_that_is_a_folder_is_one_line_naming_it(
    cli: Cli, command: tuple[str, ...]
) -> None:
    journal = cli.cwd / "journal-folder"
    journal.mkdir()
    cli.env["FREESORA_JOURNAL"] = str(journal)
    ran = await cli(*command)
    assert ran.code == 2, ran.err
    line = one_line(ran.err)
    assert str(journal) in line
    assert "is a folder" in line
    assert cli.sandbox.received.creates == []


async def test_the_demo_into_a_folder_under_a_regular_file_is_one_line(cli: Cli) -> None:
    (cli.cwd / "plain-file").write_text("not a folder")
    ran = await cli("demo", "--out", "plain-file/videos", "--task-seconds", "0")
    assert ran.code == 2, ran.err
    assert "plain-file" in one_line(ran.err)


async def test_wait_into_a_folder_under_a_regular_file_is_one_line(cli: Cli) -> None:
    created = await cli(*CREATE)
    assert created.code == 0, created.err
    (cli.cwd / "plain-file").write_text("not a folder")
    ran = await cli("wait", created.last_line, "--out", "plain-file/videos", "--interval", "0.2")
    assert ran.code == 2, ran.err
    line = one_line(ran.err)
    assert "plain-file" in line
    assert created.last_line in line  # the task goes on: its id to wait for again


async def test_the_sandbox_on_a_port_in_use_is_one_line_naming_the_port(cli: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "freesora.cli", "sandbox", "--port", str(port)),
            env=cli.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2, err.decode()
    line = one_line(err.decode())
    assert f"127.0.0.1:{port}" in line
    assert "--port" in line
