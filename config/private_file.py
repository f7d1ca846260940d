"""Whole-file writes that are private and atomic: the one way the pack writes a file it replaces.

Used by the config file, the journal's compaction, its index cache and secret, and a ledger
folder's move. The temp name is random and created exclusively (O_EXCL, and O_NOFOLLOW where the
OS has it), so a link planted at any name can neither receive the data nor be followed; the file
is 0600 from its first byte (the mode is given to `open`, never set after); it is fsynced, then
published by a rename or a link that swaps the name, never writing through a link at it.
Blocking: callers on an event loop run it in a thread. May import only the standard library.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_FLAGS |= getattr(os, "O_BINARY", 0)  # Windows: no newline translation
TEMP_SUFFIX = ".tmp"


def temp_name(target: Path, tag: str = "") -> Path:
    """A fresh hidden name beside `target`; `tag` lets a caller find its own crash leftovers."""
    middle = f"{tag}-" if tag else ""
    return target.with_name(f".{target.name}.{middle}{secrets.token_hex(8)}{TEMP_SUFFIX}")


def write_private(
    target: Path, write: Callable[[BinaryIO], object], *, replace: bool = True, tag: str = ""
) -> bool:
    """Write `target` whole through a private temp file beside it, fsynced, then published.

    `replace=True` swaps it in atomically over whatever is there. `replace=False` publishes it
    only if `target` does not exist yet (a hard link, which fails rather than overwrite one that
    another process made meanwhile) and returns False when one did. Raises OSError; the temp
    file never outlives a failure, and `target` is never left half-written.
    """
    fd, temp = _create(target, tag)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        published = _publish(temp, target, replace)
    finally:
        temp.unlink(missing_ok=True)  # after a replace there is nothing left to remove
    if published:
        fsync_folder(target.parent)
    return published


def _create(target: Path, tag: str) -> tuple[int, Path]:
    for _ in range(100):
        temp = temp_name(target, tag)
        try:
            return os.open(temp, _FLAGS, 0o600), temp
        except FileExistsError:
            continue  # 64 random bits taken: someone is planting names; try another
    raise FileExistsError(f"could not create a temporary file beside {target}")


def _publish(temp: Path, target: Path, replace: bool) -> bool:
    if replace:
        os.replace(temp, target)
        return True
    try:
        os.link(temp, target)
    except FileExistsError:
        return False
    except OSError:  # no hard links on this file system: a rename is atomic too
        if os.path.lexists(target):
            return False
        os.replace(temp, target)
    return True


def fsync_folder(folder: Path) -> None:
    """Make a new or replaced name in `folder` durable: a rename survives a crash only once the
    folder is synced (POSIX; Windows has no directory handles to sync). The config file and the
    ledger's files use this one."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
