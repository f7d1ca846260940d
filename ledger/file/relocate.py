"""The ledger folder's one-time move to a new place: lossless, crash-safe, safe between processes.

A folder ComfyUI's /userdata routes can reach is no place for the journal and its secret: a
caller of those routes could read or replace them. ComfyUI cores that offer a folder HTTP never
serves get the ledger there, and the reachable folder (`user/freesora/`) is moved into it once:
every file of the old folder (the journal and whatever the ledger keeps beside it: secrets,
locks) moves into the new one. Each file is copied and fsynced before
the original is removed, so a process killed at any line leaves every byte in at least one of
the two places, and the next start finishes the move. Two processes starting at once take turns
through an OS file lock held in the new folder.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ...config.private_file import TEMP_SUFFIX, write_private

LOCK_NAME = ".relocate.lock"
JOURNAL_SUFFIX = ".jsonl"
# A file of the same name but other content already in the new folder: the old one is kept
# beside it under this suffix rather than overwritten or left behind.
KEPT_SUFFIX = ".from-old-folder"
MOVING = "moving"  # the tag of this module's temp files (`private_file.temp_name`)


def relocate_folder(old_dir: Path, new_dir: Path) -> None:
    """Move every file of `old_dir` into `new_dir` (journals merged), then remove `old_dir`.

    Cheap when there is nothing to move (one stat), so callers may call it before every use.
    """
    if not old_dir.is_dir():
        return
    new_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _exclusive(new_dir / LOCK_NAME):
        if not old_dir.is_dir():  # another process finished the move while we waited
            return
        # A copy cut short by a crash (a `write_private` temp file, or a `<name>.moving`): redone.
        for pattern in (f".*.{MOVING}-*{TEMP_SUFFIX}", f"*.{MOVING}"):
            for leftover in new_dir.glob(pattern):
                leftover.unlink()
        for source in sorted(old_dir.iterdir()):
            if source.is_file() and not source.is_symlink():
                _move_file(source, new_dir / source.name)
        # A sub-folder or link is not the ledger's: left as found, and the folder with it.
        with suppress(OSError):
            old_dir.rmdir()


def _move_file(source: Path, dest: Path) -> None:
    if source.suffix == JOURNAL_SUFFIX:
        _merge_lines(source, dest)
    elif not _publish_copy(source, dest) and dest.read_bytes() != source.read_bytes():
        _publish_copy(source, _free_name(dest))
    source.unlink()


def _publish_copy(source: Path, dest: Path) -> bool:
    """Copy `source` to `dest` all at once, never over an existing file; False if `dest` exists.

    The copy is fsynced under a temporary name, then linked into place: `dest` is either absent
    or complete, and a file another process created meanwhile is never replaced.
    """
    if dest.exists():
        return False
    with source.open("rb") as original:
        return write_private(
            dest, lambda copy: shutil.copyfileobj(original, copy), replace=False, tag=MOVING
        )


def _merge_lines(source: Path, dest: Path) -> None:
    """Append to `dest` the lines of `source` it does not hold yet, in their order; fsynced.

    Appending (never replacing) keeps events another process is writing to `dest` meanwhile.
    Lines already there are skipped, so a move interrupted halfway and redone adds nothing twice.
    """
    if _publish_copy(source, dest):
        return
    present = set(_lines(dest))
    missing = [line for line in _lines(source) if line not in present]
    if not missing:
        return
    with dest.open("ab") as handle:
        if _ends_mid_line(dest):  # a torn last line must not swallow the first appended one
            handle.write(b"\n")
        handle.write(b"".join(line + b"\n" for line in missing))
        handle.flush()
        os.fsync(handle.fileno())


def _lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if line.strip()]


def _ends_mid_line(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return False
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"


def _free_name(dest: Path) -> Path:
    candidate = dest.with_name(dest.name + KEPT_SUFFIX)
    number = 1
    while candidate.exists():
        number += 1
        candidate = dest.with_name(f"{dest.name}{KEPT_SUFFIX}-{number}")
    return candidate


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An OS lock on `lock_path`, released when the block ends or the process dies."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock on every platform
