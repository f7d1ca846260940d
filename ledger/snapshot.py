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
_FIELDS = Entry.__slots__
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


_STATES = {state.value: state for state in TakeState}
_STATE_AT = _FIELDS.index("state")
_CHUNK = 20_000  # rows per marshal record: loading never holds the whole cache twice


def _entry(row: tuple[Any, ...]) -> Entry:
    if len(row) != len(_FIELDS):
        raise ValueError("a cached entry of another shape")
    fields = list(row)
    fields[_STATE_AT] = _STATES[fields[_STATE_AT]]
    return Entry(*fields)


def save(journal: Path, identity: tuple[int, int], offset: int, lines: int, index: Index) -> None:
    """Write the cache atomically; a failure only costs speed, never correctness."""
    header = {
        "version": VERSION,
        "identity": identity,
        "offset": offset,
        "lines": lines,
        "edges": _edges(journal, offset),
        "damage": (index.damaged_lines, index.damage),
    }
    target = snapshot_path(journal)
    temp = target.with_name(f"{target.name}.{os.getpid()}")
    try:
        with open(temp, "wb") as handle:
            marshal.dump(header, handle)
            for kind, entries in (
                ("takes", list(index.takes.values())),
                ("earlier", index.earlier),
            ):
                for start in range(0, len(entries), _CHUNK):
                    rows = [_row(e) for e in entries[start : start + _CHUNK]]
                    marshal.dump((kind, rows), handle)
            marshal.dump(("end", []), handle)
        os.chmod(temp, 0o600)
        os.replace(temp, target)
    except (OSError, ValueError):
        temp.unlink(missing_ok=True)


def load(journal: Path, identity: tuple[int, int], size: int) -> tuple[Index, int, int] | None:
    """(index, offset, lines) from a cache that still matches the journal, else None."""
    try:
        with open(snapshot_path(journal), "rb") as handle:
            header = marshal.load(handle)
            offset = int(header["offset"])
            stale = header["version"] != VERSION or tuple(header["identity"]) != identity
            if stale or offset > size or tuple(header["edges"]) != _edges(journal, offset):
                return None
            index = Index()
            while True:
                kind, rows = marshal.load(handle)
                if kind == "end":
                    break
                for row in rows:
                    _add(index, _entry(row), earlier=kind == "earlier")
        index.damaged_lines, index.damage = int(header["damage"][0]), list(header["damage"][1])
        return index, offset, int(header["lines"])
    except (OSError, EOFError, ValueError, TypeError, KeyError, IndexError):
        return None


def _add(index: Index, entry: Entry, *, earlier: bool) -> None:
    if not earlier:
        index.start(entry)
        return
    index.earlier.append(entry)
    if entry.task_id is not None:
        index.by_task.setdefault(entry.task_id, entry)
