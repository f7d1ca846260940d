"""The journal file's blocking I/O: locked fsynced appends, incremental reads, atomic compaction.

Everything here blocks (disk, other processes' locks): `FileLedger` runs it off the event loop.
Owns the index's consistency with the file; knows nothing of creates or HTTP.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...config import fsync_folder, write_private
from ...errors import LedgerError
from ..commands import journal_flags
from ..contract import Entry
from . import index_cache
from .index import Index, ReadLines
from .locks import APPEND_BYTE, LockFile
from .records import apply, charge_records, encode, entry_record, fold, keyed_record

logger = logging.getLogger("freesora.ledger")
_CHUNK = 4 * 1024 * 1024
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_REPORTED: dict[Path, int] = {}  # damage already logged, per journal: once per process


class JournalFile:
    """One journal file and its index, safe across threads (one mutex) and processes (locks)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.locks = LockFile.shared(path.with_name(path.name + ".lock"))
        self.index = Index()
        self.mutex = threading.RLock()  # the index, the read offset and this process's appends
        self._offset = 0
        self._lines = 0
        self._saved_at = 0  # lines the index cache on disk covers
        self._identity: tuple[int, int] | None = None
        self._unwritten: list[dict[str, Any]] = []  # records the disk refused: kept in memory

    # --- reading ---------------------------------------------------------------------------

    def catch_up(self) -> Index:
        """Read what other writers appended since the last call; reload after a compaction.

        A journal that cannot be read (a folder, no permission) is a LedgerError saying so:
        nothing can be reused or counted from it, so nothing may be sent either.
        """
        with self.mutex:
            try:
                return self._catch_up()
            except OSError as exc:
                raise LedgerError(
                    f"the task journal {self.path} cannot be read: {exc.strerror or exc}."
                ) from exc

    def _catch_up(self) -> Index:
        with self.mutex:
            try:
                info = os.stat(self.path)
            except FileNotFoundError:
                if self._identity is not None:
                    self._reset(None)
                return self.index
            identity = (info.st_dev, info.st_ino)
            fresh = identity != self._identity or info.st_size < self._offset
            if fresh:
                self._reset(identity)  # replaced (compacted) or truncated: read it afresh
                self._from_cache(identity, info.st_size)
            if info.st_size > self._offset:
                self._read_from_offset()
                # Kept fresh as the journal grows (also by one append at a time), so a start
                # reads at most MIN_LINES lines past the cache.
                # Never with records the disk refused: the cache holds what the journal holds.
                if self._lines - self._saved_at >= index_cache.MIN_LINES and not self._unwritten:
                    index_cache.save(self.path, identity, self._offset, self._lines, self.index)
                    self._saved_at = self._lines
            if fresh:
                for record in self._unwritten:
                    apply(self.index, record, None)
            self._report_damage()
            return self.index

    def _from_cache(self, identity: tuple[int, int], size: int) -> None:
        cached = index_cache.load(self.path, identity, size)
        if cached is not None:
            self.index, self._offset, self._lines = cached
            self._saved_at = self._lines

    def keep_unwritten(self, record: dict[str, Any]) -> None:
        """A record the disk refused (after a create): this process must still act on it."""
        with self.mutex:
            self._unwritten.append(record)
            apply(self.index, record, None)

    def _reset(self, identity: tuple[int, int] | None) -> None:
        self.index = Index()
        self._offset = self._lines = self._saved_at = 0
        self._identity = identity

    def _read_from_offset(self) -> None:
        with open(self.path, "rb") as handle:
            handle.seek(self._offset)
            pending = b""
            while chunk := handle.read(_CHUNK):
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()  # no newline yet: a write in progress, or a torn line
                self._apply(lines)
        # A torn last line stays unread: the next append starts a fresh line after it, and
        # then it is read (and counted as damage) like any other bad line.

    def _apply(self, lines: list[bytes]) -> None:
        first = self._lines + 1
        offsets = []
        at = self._offset
        for line in lines:
            offsets.append(at)
            at += len(line) + 1
        self._lines += len(lines)
        self._offset = at
        records = _parse_fast(lines)
        if records is None:  # something in this chunk is damaged: line by line, to name it
            fold(self.index, zip(range(first, first + len(lines)), offsets, lines, strict=True))
            return
        for number, (record, at) in enumerate(zip(records, offsets, strict=True), start=first):
            try:
                apply(self.index, record, at)
            except ValueError as exc:
                self.index.note_damage(f"line {number}", f"{type(exc).__name__}: {exc}"[:160])

    # --- entries ---------------------------------------------------------------------------

    def entries(self, pick: Callable[[Index], list[int]]) -> list[Entry]:
        """The rows `pick` chooses from the caught-up index, as entries with their details
        read back from the journal, all under the mutex."""
        with self.mutex:
            index = self.catch_up()
            return index.entries(pick(index), self._read_lines)

    def _read_lines(self, offsets: list[int]) -> dict[int, dict[str, Any] | None]:
        """The records at `offsets` (sorted) of the indexed journal; None for each that cannot
        be read (a journal replaced meanwhile, or damaged since: the details are then absent)."""
        found: dict[int, dict[str, Any] | None] = dict.fromkeys(offsets)
        if not offsets:
            return found
        try:
            with open(self.path, "rb") as handle:
                info = os.fstat(handle.fileno())
                if (info.st_dev, info.st_ino) != self._identity:
                    return found
                for at in offsets:
                    handle.seek(at)
                    found[at] = _record(handle.readline())
        except OSError:
            pass  # details are a convenience: the take's state and task id are in memory
        return found

    def _report_damage(self) -> None:
        if self.index.damaged_lines > _REPORTED.get(self.path, 0):
            _REPORTED[self.path] = self.index.damaged_lines
            logger.warning(
                "FreeSora task journal %s: %d damaged line(s) skipped (%s); every other record "
                "is used. `freesora tasks compact %s` rewrites it without them.",
                self.path,
                self.index.damaged_lines,
                "; ".join(self.index.damage),
                journal_flags(self.path),
            )

    # --- writing ---------------------------------------------------------------------------

    def append(self, record: dict[str, Any]) -> Index:
        """Write one record durably (fsync) on a line of its own, then catch up; LedgerError
        when the disk refuses (full, read-only, gone)."""
        data = encode(record)
        with self.mutex:
            self.locks.acquire(APPEND_BYTE)
            try:
                self._write(data)
                return self.catch_up()
            finally:
                self.locks.release(APPEND_BYTE)

    def _write(self, data: bytes) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            new = not self.path.exists()
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | _BINARY, 0o600)
            try:
                size = os.fstat(fd).st_size
                if size and _last_byte(fd, size) != b"\n":
                    data = b"\n" + data  # after a torn line: never glue a record onto it
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            if new:
                fsync_folder(self.path.parent)
        except OSError as exc:
            raise LedgerError(
                f"the task journal {self.path} cannot be written: {exc.strerror or exc}."
            ) from exc

    def compact(self) -> int:
        """Rewrite the journal as one `entry` line per take, atomically (`write_private`).

        Every task id survives, earlier attempts included, and the marks of the journal's
        secret (`keyed`); damaged lines are dropped.
        """
        with self.mutex:
            self.locks.acquire(APPEND_BYTE)  # no one appends while the file is replaced
            try:
                index = self.catch_up()
                records = _compacted(index, self._read_lines)
                try:
                    write_private(self.path, lambda out: out.writelines(encode(r) for r in records))
                except OSError as exc:
                    raise LedgerError(
                        f"the task journal {self.path} was not compacted: {exc}"
                    ) from exc
                self._reset(None)
                self.catch_up()
                return sum(record["event"] == "entry" for record in records)  # takes
            finally:
                self.locks.release(APPEND_BYTE)


def _compacted(index: Index, read_lines: ReadLines) -> list[dict[str, Any]]:
    """One `entry` record per listed row, earlier attempts first; a first-format take keeps
    its fingerprint, so it is still found after the compaction."""
    prints = {row: fingerprint for (fingerprint, _), row in index.legacy.items()}
    records = [keyed_record(check) for check in sorted(index.secret_checks)]
    for earlier, rows in ((True, index.earlier), (False, list(index.rows.values()))):
        for row, entry in zip(rows, index.entries(rows, read_lines), strict=True):
            records.append(entry_record(entry, earlier=earlier, fingerprint=prints.get(row)))
    # Superseded attempts (an unknown outcome forgotten, then sent again) are not listed, but
    # their credits stay in the daily budget's window: kept as charges.
    return records + charge_records(index, set(index.current()), time.time())


def _parse_fast(lines: list[bytes]) -> list[dict[str, Any]] | None:
    """Every line parsed in one call (much faster than one call per line), or None when any
    line is not a plain JSON object: the caller then reads them one by one."""
    kept = [line for line in lines if line.strip()]
    if not all(line.startswith(b"{") and line.rstrip().endswith(b"}") for line in kept):
        return None
    try:
        parsed = json.loads(b"[" + b",".join(kept) + b"]")
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if len(parsed) != len(kept) or not all(isinstance(item, dict) for item in parsed):
        return None
    return parsed if len(kept) == len(lines) else None  # blank lines: numbered one by one


def _record(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def _last_byte(fd: int, size: int) -> bytes:
    os.lseek(fd, size - 1, os.SEEK_SET)
    return os.read(fd, 1)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
