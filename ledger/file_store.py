"""FileLedger, the default store: a JSON-lines journal file shared by every process that opens it.

Guarantees (those of `base.Ledger`, and how this store keeps them):
- Write-ahead: `claim` appends a SENDING record and fsyncs it before it returns a claim.
- At most once: a claim holds an OS lock on its take's byte of `<journal>.lock` (fcntl on
  POSIX, msvcrt on Windows) from the check through the create to the record, plus an asyncio
  lock per take inside this process. The OS drops a dead process's locks, so a SENDING record
  whose byte is free was left by a crash: it reads as UNKNOWN.
- Appends hold byte 0 of the lock file, start on a fresh line and are fsynced; a torn line never
  swallows the next record.
- The index (take -> entry) is built once when opened and caught up from the last offset read;
  a compacted (replaced) journal is detected by its inode and read afresh.
- Damage (torn lines, bad bytes, wrong types, disorder) is skipped, counted, logged once and
  listed by `problems`; never raised.
- Every blocking call runs in a thread: nothing here blocks the event loop.
Never holds the API key or image data: accounts are keyed hashes (`base.account_id`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import LedgerError
from .base import Decision, Entry, Take, TakeState, account_id
from .file_claim import FileClaim, finish
from .fingerprint import load_secret
from .journal_file import JournalFile, logger
from .oslock import offset_of
from .records import PASTED

_OPEN: dict[Path, FileLedger] = {}
_OPEN_GUARD = threading.Lock()
_waits: ThreadPoolExecutor | None = None


def open_ledger(path: Path) -> FileLedger:
    """The process's one FileLedger for `path` (one lock file descriptor, one index)."""
    resolved = Path(path).expanduser().resolve()
    with _OPEN_GUARD:
        ledger = _OPEN.get(resolved)
        if ledger is None:
            ledger = _OPEN[resolved] = FileLedger(resolved)
        return ledger


def _lock_waits() -> ThreadPoolExecutor:
    """Threads that wait for other processes' take locks, apart from asyncio's default pool,
    so a long wait never starves other nodes' `to_thread` work."""
    global _waits
    with _OPEN_GUARD:
        if _waits is None:
            _waits = ThreadPoolExecutor(max_workers=16, thread_name_prefix="freesora-ledger")
        return _waits


class FileLedger:
    """The journal file as a `Ledger`; open it with `open_ledger` (one per process and path)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.where = str(self.path)
        self.file = JournalFile(self.path)
        self._users: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._secret: bytes | None = None

    # --- reading ---------------------------------------------------------------------------

    async def account(self, profile: str, api_key: str) -> str:
        if self._secret is None:
            try:
                self._secret = await asyncio.to_thread(load_secret, self.path)
            except OSError as exc:
                raise LedgerError(f"the task ledger's secret cannot be read: {exc}") from exc
        return account_id(profile, api_key, self._secret)

    async def lookup(self, take: Take) -> Entry | None:
        index = await asyncio.to_thread(self.file.catch_up)
        entry = index.takes.get(take.key)
        return None if entry is None else self._as_seen(entry)

    async def find_task(self, task_id: str) -> Entry | None:
        index = await asyncio.to_thread(self.file.catch_up)
        entry = index.by_task.get(task_id)
        return None if entry is None else replace(entry)

    async def entries(
        self,
        *,
        limit: int | None = None,
        offset: int = 0,
        only_unfinished: bool = False,
        model: str | None = None,
    ) -> list[Entry]:
        return await asyncio.to_thread(self._entries, limit, offset, only_unfinished, model)

    def _entries(
        self, limit: int | None, offset: int, only_unfinished: bool, model: str | None
    ) -> list[Entry]:
        with self.file.mutex:
            chosen = [
                entry
                for entry in self.file.catch_up().current()
                if (model is None or entry.model == model)
                and (not only_unfinished or not entry.state.finished)
            ]
        chosen.sort(key=lambda entry: entry.created_at, reverse=True)
        end = None if limit is None else offset + limit
        return [self._as_seen(entry) for entry in chosen[offset:end]]

    def _as_seen(self, entry: Entry) -> Entry:
        """A copy; a SENDING whose claimant is gone (its lock is free) shown as UNKNOWN."""
        seen = replace(entry)
        if entry.state is TakeState.SENDING and not self._in_flight(entry.take_key):
            seen.state = TakeState.UNKNOWN
            seen.reason = orphan_reason(entry)
        return seen

    def _in_flight(self, take_key: str) -> bool:
        return take_key in self._users or not self.file.locks.probe(offset_of(take_key))

    async def problems(self) -> list[str]:
        index = await asyncio.to_thread(self.file.catch_up)
        if not index.damaged_lines:
            return []
        return [f"{index.damaged_lines} damaged line(s) skipped in {self.path}", *index.damage]

    # --- claiming --------------------------------------------------------------------------

    async def claim(self, take: Take, *, model: str, summary: str = "") -> Decision:
        key = take.key
        await self._hold(key)
        try:
            entry = await finish(self._check, key)
            if entry is not None and (entry.state.reusable or entry.state.blocks_resend):
                self._let_go(key)
                return Decision(None, self._as_seen(entry))
            record = {
                "event": "sending",
                "take": key,
                "account": take.account,
                "model": model,
                "seed": take.seed,
                "slot": take.slot,
                "summary": summary[:160],
                "time": time.time(),
            }
            await finish(self.file.append, record)
        except BaseException:
            self._let_go(key)
            raise
        return Decision(FileClaim(self, take), entry)

    def _check(self, key: str) -> Entry | None:
        """The take's entry under its lock; a SENDING left by a dead process becomes UNKNOWN
        in the journal too, so every process and list tells the same story."""
        entry = self.file.catch_up().takes.get(key)
        if entry is None or entry.state is not TakeState.SENDING:
            return None if entry is None else replace(entry)
        reason = orphan_reason(entry)
        index = self.file.append(
            {"event": "unknown", "take": key, "reason": reason, "time": time.time()}
        )
        return replace(index.takes[key])

    async def _hold(self, key: str) -> None:
        """This process's asyncio lock, then the OS lock, of one take (released by `_let_go`)."""
        self._users[key] = self._users.get(key, 0) + 1
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            await lock.acquire()
        except BaseException:
            self._drop_user(key)
            raise
        offset = offset_of(key)
        wait = asyncio.get_running_loop().run_in_executor(
            _lock_waits(), self.file.locks.acquire, offset
        )
        try:
            await asyncio.shield(wait)
        except BaseException:
            # The thread may still get the lock after we stop waiting: give it back then.
            wait.add_done_callback(lambda done: self._release_if_got(done, offset))
            lock.release()
            self._drop_user(key)
            raise

    def _release_if_got(self, done: asyncio.Future[None], offset: int) -> None:
        if not done.cancelled() and done.exception() is None:
            self.file.locks.release(offset)

    def _let_go(self, key: str) -> None:
        self.file.locks.release(offset_of(key))
        self._locks[key].release()
        self._drop_user(key)

    def _drop_user(self, key: str) -> None:
        self._users[key] -= 1
        if not self._users[key]:
            del self._users[key]
            self._locks.pop(key, None)

    # --- the user's decisions, and compaction ----------------------------------------------

    async def adopt(self, take_key: str, task_id: str) -> Entry:
        return await self._decide(take_key, {"event": "adopted", "task_id": task_id})

    async def forget(self, take_key: str) -> Entry:
        return await self._decide(take_key, {"event": "forgotten"})

    async def _decide(self, take_key: str, record: dict[str, Any]) -> Entry:
        key = await asyncio.to_thread(self._resolve, take_key)
        await self._hold(key)
        try:
            record.update(take=key, time=time.time())
            index = await finish(self.file.append, record)
            return replace(index.takes[key])
        finally:
            self._let_go(key)

    def _resolve(self, prefix: str) -> str:
        """A take key from its first characters (as `freesora tasks` shows them)."""
        prefix = prefix.strip()
        takes = self.file.catch_up().takes
        if prefix in takes:
            return prefix
        found = [key for key in takes if _named(key, prefix)] if len(prefix) >= 6 else []
        if len(found) != 1:
            problem = "matches several takes" if found else "is not a take in the journal"
            raise LedgerError(
                f"take {prefix!r} {problem} ({self.path}); `freesora tasks` lists the takes"
            )
        return found[0]

    async def remember(self, task_id: str, *, model: str = "", summary: str = "") -> Entry:
        known = await self.find_task(task_id)
        if known is not None:
            return known
        record = {
            "event": "adopted",
            "take": PASTED + task_id,
            "task_id": task_id,
            "model": model,
            "summary": summary[:160],
            "time": time.time(),
        }
        index = await finish(self.file.append, record)
        return replace(index.by_task[task_id])

    async def record_outcome(
        self,
        task_id: str,
        state: TakeState,
        *,
        url: str | None = None,
        file: str | None = None,
        reason: str | None = None,
    ) -> None:
        record = {
            "event": "finished",
            "task_id": task_id,
            "status": state.value,
            "time": time.time(),
        }
        record.update({k: v for k, v in (("url", url), ("file", file), ("reason", reason)) if v})
        await finish(self.file.append, record)

    async def compact(self) -> int:
        return await finish(self.file.compact)

    async def close(self) -> None:
        """Nothing to flush (every record is fsynced); the lock file stays open for the process."""


def _named(key: str, prefix: str) -> bool:
    return key.startswith(prefix) or key.split(":", 1)[-1].startswith(prefix)


def orphan_reason(entry: Entry) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.created_at))
    return f"sent at {when}; the process stopped before the service's answer was recorded"


__all__ = ["FileLedger", "logger", "open_ledger", "orphan_reason"]
