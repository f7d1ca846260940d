"""Every whole-file write of the pack (config, journal compaction, index cache, secret, a moved
ledger file) goes through one private temp file: exclusive, never through a link, 0600 from its
first byte, then published atomically."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from freesora.config.private_file import write_private
from freesora.ledger import FileLedger, Take
from freesora.ledger.file import index_cache

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symlinks and modes")
MODEL = "sora-2-text-to-video"


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The laxest umask a user may have: modes are then only what the code asks for."""
    before = os.umask(0)
    yield
    os.umask(before)


def planted(at: Path, victim: Path) -> Path:
    victim.write_text("the attacker's file\n")
    at.symlink_to(victim)
    return victim


async def a_journal(tmp_path: Path) -> FileLedger:
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    for seed in range(3):
        decision = await ledger.claim(Take("default:abc", "r" * 64, seed), model=MODEL)
        assert decision.claim is not None
        await decision.claim.created(f"task-{seed}")
    return ledger


async def test_compaction_never_writes_through_a_link_planted_at_its_temp_name(
    tmp_path: Path, open_umask: None
) -> None:
    ledger = await a_journal(tmp_path)
    victim = planted(tmp_path / f"tasks.jsonl.compact-{os.getpid()}", tmp_path / "victim")
    assert await ledger.compact() == 3
    assert victim.read_text() == "the attacker's file\n"
    assert stat.S_IMODE(os.lstat(ledger.path).st_mode) == 0o600
    assert {e.task_id for e in await FileLedger(ledger.path).entries()} == {
        "task-0",
        "task-1",
        "task-2",
    }


async def test_the_index_cache_never_writes_through_a_link_planted_at_its_temp_name(
    tmp_path: Path, open_umask: None
) -> None:
    ledger = await a_journal(tmp_path)
    target = index_cache.cache_path(ledger.path)
    victim = planted(target.with_name(f"{target.name}.{os.getpid()}"), tmp_path / "victim")
    index = ledger.file.catch_up()
    info = os.stat(ledger.path)
    index_cache.save(ledger.path, (info.st_dev, info.st_ino), info.st_size, 6, index)
    assert victim.read_text() == "the attacker's file\n"
    assert stat.S_IMODE(os.lstat(target).st_mode) == 0o600
    cached = index_cache.load(ledger.path, (info.st_dev, info.st_ino), info.st_size)
    assert cached is not None
    assert set(cached[0].by_task) == {"task-0", "task-1", "task-2"}


def test_a_private_file_is_0600_from_its_first_byte_and_replaces_a_link_not_its_target(
    tmp_path: Path, open_umask: None
) -> None:
    target = tmp_path / "file"
    victim = planted(target, tmp_path / "victim")
    modes = []

    def write(handle: BinaryIO) -> None:
        modes.append(stat.S_IMODE(os.fstat(handle.fileno()).st_mode))
        handle.write(b"new content\n")

    assert write_private(target, write)
    assert modes == [0o600]  # before anything was written
    assert not target.is_symlink()
    assert target.read_bytes() == b"new content\n"
    assert victim.read_text() == "the attacker's file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "victim"]  # no temp left


def test_a_private_file_published_only_if_absent_never_replaces_one_there(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_bytes(b"first")
    assert not write_private(target, lambda handle: handle.write(b"second"), replace=False)
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]


def test_a_failed_write_leaves_neither_a_temp_file_nor_a_changed_target(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_bytes(b"before")

    def fail(handle: BinaryIO) -> None:
        handle.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_private(target, fail)
    assert target.read_bytes() == b"before"
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
