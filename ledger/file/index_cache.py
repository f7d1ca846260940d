"""A cache of the journal's index beside it (`<journal>.index`), so a big journal opens fast.

Only a cache: it names the journal file (device, inode) and the offset it covers, with hashes
of the journal's first and last bytes before that offset. It is used only while all of these
still match the file (an append-only journal keeps its prefix; a compaction makes a new file),
then the lines after the offset are read as usual. Anything unreadable or stale is ignored: the
journal is read in full instead. Holds what the journal holds (no key, no image data).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from array import array
from pathlib import Path
from typing import Any, BinaryIO, cast

from ...config import write_private
from .index import COLUMNS, REFUND_OF, STATES, Index

# The layout of the cache (its columns, maps and header): a cache of any other layout is ignored
# and the journal read in full, so it changes with every change of what the cache holds.
CACHE_VERSION = 6
_EDGE = 64 * 1024  # bytes hashed at each end of the covered prefix
MIN_LINES = 50_000  # smaller journals read fast enough without a cache


def cache_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".index")


def _edges(journal: Path, offset: int) -> tuple[bytes, bytes]:
    with open(journal, "rb") as handle:
        head = handle.read(min(offset, _EDGE))
        handle.seek(max(0, offset - _EDGE))
        tail = handle.read(min(offset, _EDGE))
    return hashlib.sha256(head).digest(), hashlib.sha256(tail).digest()


def _put(handle: BinaryIO, value: Any) -> None:
    data = marshal.dumps(value)
    handle.write(len(data).to_bytes(8, "little"))
    handle.write(data)


def _get(handle: BinaryIO) -> Any:
    """One value; read whole and then decoded (marshal.load on a file reads it piece by piece
    through Python calls, ten times slower)."""
    size = int.from_bytes(handle.read(8), "little")
    if size > os.fstat(handle.fileno()).st_size - handle.tell():
        raise EOFError("not an index cache, or a cut one")  # never a huge read of junk
    data = handle.read(size)
    if len(data) != size:
        raise EOFError("a cut index cache")
    return marshal.loads(data)


def save(journal: Path, identity: tuple[int, int], offset: int, lines: int, index: Index) -> None:
    """Write the cache atomically; a failure only costs speed, never correctness."""
    header = {
        "version": CACHE_VERSION,
        "identity": identity,
        "offset": offset,
        "lines": lines,
        "edges": _edges(journal, offset),
        "damage": (index.damaged_lines, index.damage),
        "keyed": sorted(index.secret_checks),
    }

    def write(handle: BinaryIO) -> None:
        _put(handle, header)
        for name in COLUMNS:  # one column at a time: saving never copies the whole index
            column = getattr(index, name)
            _put(handle, column if isinstance(column, list) else bytes(column))
        # The maps as rows only: their keys are the rows' own key and task texts.
        for rows in (index.rows.values(), index.earlier, index.by_task.values()):
            _put(handle, array("q", rows).tobytes())
        _put(handle, index.inline)
        _put(handle, index.legacy)

    with contextlib.suppress(OSError, ValueError):  # only a cache: a full read next time
        write_private(cache_path(journal), write)


def load(journal: Path, identity: tuple[int, int], size: int) -> tuple[Index, int, int] | None:
    """(index, offset, lines) from a cache that still matches the journal, else None."""
    try:
        with open(cache_path(journal), "rb") as handle:
            header = _get(handle)
            offset = int(header["offset"])
            stale = header["version"] != CACHE_VERSION or tuple(header["identity"]) != identity
            if stale or offset > size or tuple(header["edges"]) != _edges(journal, offset):
                return None
            index = _read_index(handle)
        index.damaged_lines, index.damage = int(header["damage"][0]), list(header["damage"][1])
        index.secret_checks = {str(check) for check in header["keyed"]}
        return index, offset, int(header["lines"])
    except (OSError, EOFError, ValueError, TypeError, KeyError, IndexError):
        return None


def _read_index(handle: BinaryIO) -> Index:
    """The columns, then the maps over them; every shape checked (a bad cache is ignored)."""
    index = Index()
    for name in COLUMNS:
        value = _get(handle)
        column = getattr(index, name)
        if isinstance(column, list):
            if type(value) is not list:
                raise ValueError(f"column {name} is not a list")
            setattr(index, name, value)
        elif isinstance(column, bytearray):
            column[:] = value  # the state or refund codes
        else:
            column.frombytes(value)
    rows = len(index.key)
    if any(len(getattr(index, name)) != rows for name in COLUMNS):
        raise ValueError("columns of different lengths")
    if any(code >= len(STATES) for code in set(index.state)):
        raise ValueError("an unknown state code")
    if any(code >= len(REFUND_OF) for code in set(index.refunded)):
        raise ValueError("an unknown refund code")
    current, earlier, task_rows = (array("q", _get(handle)) for _ in range(3))
    inline, legacy = _get(handle), _get(handle)
    for numbers in (current, earlier, task_rows, array("q", inline), array("q", legacy.values())):
        if numbers and (min(numbers) < 0 or max(numbers) >= rows):
            raise ValueError("a row out of range")
    # Keys are the columns' own objects and each row one int object shared by every map (as
    # a full read leaves them): no second copy of 333,000 task ids, no fragmented heap.
    number = list(range(rows)).__getitem__
    index.rows = dict(zip(map(index.key.__getitem__, current), map(number, current), strict=True))
    index.earlier = list(map(number, earlier))
    by_task = dict(zip(map(index.task.__getitem__, task_rows), map(number, task_rows), strict=True))
    if None in by_task:
        raise ValueError("a task row with no task")
    index.by_task = cast(dict[str, int], by_task)
    index.inline = dict(inline)
    index.legacy = dict(legacy)
    index.index_charges()
    return index
