"""`freesora` where its files cannot go: a journal, config or output path under a regular file,
a folder it may not write, a port already taken. One line naming the path and what to do,
exit 2, no traceback, nothing sent. Real processes against a real sandbox."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Callable
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


def under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "plain-file").write_text("not a folder")
    return tmp_path / "plain-file" / "tasks.jsonl"


def a_folder(tmp_path: Path) -> Path:
    (tmp_path / "journal-folder").mkdir()
    return tmp_path / "journal-folder"


def in_a_folder_not_to_be_written(tmp_path: Path) -> Path:
    return unwritable(tmp_path) / "tasks.jsonl"


@pytest.mark.parametrize("command", [CREATE, ("tasks",), ("wait", TASK_ID)])
@pytest.mark.parametrize(
    ("journal_at", "said"),
    [
        (under_a_file, "a part of its folder path is a file"),
        (a_folder, "is a folder, not a file"),
        (in_a_folder_not_to_be_written, "FREESORA_JOURNAL"),
    ],
    ids=["under-a-file", "a-folder", "unwritable"],
)
async def test_a_journal_that_cannot_be_a_file_is_one_line_naming_it_and_nothing_is_sent(
    cli: Cli,
    tmp_path: Path,
    command: tuple[str, ...],
    journal_at: Callable[[Path], Path],
    said: str,
) -> None:
    journal = journal_at(tmp_path)
    cli.env["FREESORA_JOURNAL"] = str(journal)
    ran = await cli(*command)
    assert ran.code == 2, ran.err
    line = one_line(ran.err)
    assert str(journal) in line
    assert said in line
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
