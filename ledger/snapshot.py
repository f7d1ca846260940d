"""A cache of the journal's index beside it (`<journal>.index`), so a big journal opens fast.

Only a cache: it names the journal file (device, inode) and the offset it covers, with hashes
of the journal's first and last bytes before that offset. It is used only while all of these
still match the file (an append-only journal keeps its prefix; a compaction makes a new file),
then the lines after the offset are read as usual. Anything unreadable or stale is ignored: the
journal is read in full instead. Holds what the journal holds (no key, no image data).
"""

from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path
from typing import Any

from .base import Entry, TakeState
from .records import Index

VERSION = 1
_EDGE = 64 * 1024  # bytes hashed at each end of the covered prefix
_FIELDS = Entry.__slots__  # type: ignore[attr-defined]
MIN_LINES = 50_000  # smaller journals read fast enough without a cache


def snapshot_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".index")


def _edges(journal: Path, offset: int) -> tuple[bytes, bytes]:
    with open(journal, "rb") as handle:
        head = handle.read(min(offset, _EDGE))
        handle.seek(max(0, offset - _EDGE))
        tail = handle.read(min(offset, _EDGE))
    return hashlib.sha256(head).digest(), hashlib.sha256(tail).digest()


def _row(entry: Entry) -> tuple[Any, ...]:
    return tuple(entry.state.value if name == "state" else getattr(entry, name) for name in _FIELDS)


def _entry(row: tuple[Any, ...]) -> Entry:
    values = dict(zip(_FIELDS, row, strict=True))
    values["state"] = TakeState(values["state"])
    return Entry(**values)


def save(journal: Path, identity: tuple[int, int], offset: int, lines: int, index: Index) -> None:
    """Write the cache atomically; a failure only costs speed, never correctness."""
    data = {
        "version": VERSION,
        "identity": identity,
        "offset": offset,
        "lines": lines,
        "edges": _edges(journal, offset),
        "takes": [_row(e) for e in index.takes.values()],
        "earlier": [_row(e) for e in index.earlier],
        "damage": (index.damaged_lines, index.damage),
    }
    target = snapshot_path(journal)
    temp = target.with_name(f"{target.name}.{os.getpid()}")
    try:
        with open(temp, "wb") as handle:
            marshal.dump(data, handle)
        os.chmod(temp, 0o600)
        os.replace(temp, target)
    except (OSError, ValueError):
        temp.unlink(missing_ok=True)


def load(journal: Path, identity: tuple[int, int], size: int) -> tuple[Index, int, int] | None:
    """(index, offset, lines) from a cache that still matches the journal, else None."""
    try:
        with open(snapshot_path(journal), "rb") as handle:
            data = marshal.load(handle)
        offset = int(data["offset"])
        if data["version"] != VERSION or tuple(data["identity"]) != identity or offset > size:
            return None
        if tuple(data["edges"]) != _edges(journal, offset):
            return None
        index = Index()
        for row in data["takes"]:
            index.start(_entry(row))
        for row in data["earlier"]:
            entry = _entry(row)
            index.earlier.append(entry)
            if entry.task_id is not None:
                index.by_task.setdefault(entry.task_id, entry)
        index.damaged_lines, index.damage = int(data["damage"][0]), list(data["damage"][1])
        return index, offset, int(data["lines"])
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None
