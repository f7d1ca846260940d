"""Who holds a take: an OS byte lock shared by every process, then an asyncio lock in this one.

`LockFile`: byte-range locks on one lock file, shared by every process on the machine (POSIX
and Windows): one byte per take (its offset from the take key) and byte 0 for appends to the
journal. The OS drops a dead process's locks, which is how a crashed claimant is told from a
live one. Owns no journal data. Locks are per process on POSIX (fcntl), so `TakeLocks` adds an
asyncio lock per take: two claims of one take in this process queue on it (OS locks never
conflict within a process); across processes the OS lock on the take's byte decides. That lock
is waited for on any event loop (`TakeLock`): a take started when its prompt was queued is
claimed on the pack's own loop while the prompt's node claims it on ComfyUI's. The thread
that waits for another process's lock runs in a pool of its own, so a long wait never starves
other nodes' `to_thread` work.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

APPEND_BYTE = 0
_SPAN = 2**31 - 2  # offsets 1 .. 2**31-1: within every platform's lock range
_WINDOWS_RETRY_S = 0.05

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int, offset: int, blocking: bool) -> bool:
        assert not blocking  # Windows locks are polled: see `LockFile._acquire_polling`
        os.lseek(fd, offset, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int, offset: int) -> None:
        os.lseek(fd, offset, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int, offset: int, blocking: bool) -> bool:
        flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
        try:
            fcntl.lockf(fd, flags, 1, offset, os.SEEK_SET)
            return True
        except (BlockingIOError, PermissionError):
            if blocking:
                raise
            return False

    def _unlock(fd: int, offset: int) -> None:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset, os.SEEK_SET)


def offset_of(take_key: str) -> int:
    """The lock byte of a take: two takes may share one (they then only wait for each other)."""
    digest = hashlib.sha256(take_key.encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % _SPAN


_SHARED: dict[Path, LockFile] = {}
_SHARED_GUARD = threading.Lock()


class LockFile:
    """The lock file of one journal, opened once per process (`shared`) and kept open.

    One descriptor on purpose: on POSIX, closing any descriptor of a file drops every lock the
    process holds on it, and locks never conflict within a process, so this object counts who
    holds each byte here and unlocks it only when the last holder lets go.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._guard = threading.Lock()
        self._held: dict[int, int] = {}

    @classmethod
    def shared(cls, path: Path) -> LockFile:
        with _SHARED_GUARD:
            found = _SHARED.get(path)
            if found is None:
                found = _SHARED[path] = cls(path)
            return found

    def acquire(self, offset: int) -> None:
        """Block until the byte is ours (run it in a thread: it may wait for another process)."""
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            self._acquire_polling(offset)
            return
        with self._guard:  # counted first, so a `probe` meanwhile never unlocks it under us
            self._held[offset] = self._held.get(offset, 0) + 1
        try:
            _lock(self._fd, offset, blocking=True)  # returns at once if this process holds it
        except BaseException:
            with self._guard:
                self._drop(offset)
            raise

    def _acquire_polling(self, offset: int) -> None:  # pragma: no cover - Windows only
        """Windows locks a byte per handle, and locking a held byte fails even in the process
        that holds it: the byte is counted only once it is really ours, and a second holder
        here just counts (as POSIX's re-lock does); a count of a mere waiter would make the
        holder's release keep the lock, and the waiter wait forever."""
        while True:
            with self._guard:
                if self._held.get(offset) or _lock(self._fd, offset, blocking=False):
                    self._held[offset] = self._held.get(offset, 0) + 1
                    return
            time.sleep(_WINDOWS_RETRY_S)

    def release(self, offset: int) -> None:
        with self._guard:
            if self._drop(offset) == 0:
                _unlock(self._fd, offset)

    def _drop(self, offset: int) -> int:
        left = self._held.get(offset, 0) - 1
        if left > 0:
            self._held[offset] = left
        else:
            self._held.pop(offset, None)
        return max(left, 0)

    def probe(self, offset: int) -> bool:
        """True when no process holds the byte (then its claimant is gone)."""
        with self._guard:
            if self._held.get(offset):
                return False
            if not _lock(self._fd, offset, blocking=False):
                return False
            _unlock(self._fd, offset)
            return True


_waits: ThreadPoolExecutor | None = None
_WAITS_GUARD = threading.Lock()


def _lock_waits() -> ThreadPoolExecutor:
    global _waits
    with _WAITS_GUARD:
        if _waits is None:
            _waits = ThreadPoolExecutor(max_workers=16, thread_name_prefix="freesora-ledger")
        return _waits


class _Waiter:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.woken: asyncio.Future[None] = self.loop.create_future()


class TakeLock:
    """A first-come lock awaited from any event loop (an asyncio.Lock belongs to one loop).

    `release` hands the lock straight to the first waiter still waiting, on that waiter's own
    loop; a waiter cancelled after it was handed the lock passes it on."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._waiters: deque[_Waiter] = deque()

    async def acquire(self) -> None:
        with self._guard:
            if not self._held:
                self._held = True
                return
            waiter = _Waiter()
            self._waiters.append(waiter)
        try:
            await waiter.woken
        except BaseException:
            with self._guard:
                handed = waiter not in self._waiters
                if not handed:
                    self._waiters.remove(waiter)
            if handed:
                self.release()
            raise

    def release(self) -> None:
        with self._guard:
            while self._waiters:
                waiter = self._waiters.popleft()
                try:
                    waiter.loop.call_soon_threadsafe(_wake, waiter.woken)
                    return  # still held: now the waiter's
                except RuntimeError:  # its loop is closed: nobody waits there any more
                    continue
            self._held = False


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)
    # A waiter cancelled meanwhile sees its cancel and passes the lock on (`acquire`).


class TakeLocks:
    """Held takes of one journal in this process (`hold` ... `let_go`), from any event loop."""

    def __init__(self, locks: LockFile) -> None:
        self._os = locks
        self._guard = threading.Lock()
        self._users: dict[str, int] = {}
        self._locks: dict[str, TakeLock] = {}

    def in_use(self, key: str) -> bool:
        """Held or waited for here: its SENDING record, if any, is not an orphan."""
        with self._guard:
            return key in self._users

    def waiting(self, key: str) -> int:
        """How many claims here hold or wait for the take."""
        with self._guard:
            return self._users.get(key, 0)

    async def hold(self, key: str) -> None:
        """This process's lock, then the OS lock, of one take (released by `let_go`)."""
        with self._guard:
            self._users[key] = self._users.get(key, 0) + 1
            lock = self._locks.setdefault(key, TakeLock())
        try:
            await lock.acquire()
        except BaseException:
            self._drop_user(key)
            raise
        offset = offset_of(key)
        wait = asyncio.get_running_loop().run_in_executor(_lock_waits(), self._os.acquire, offset)
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
            self._os.release(offset)

    def let_go(self, key: str) -> None:
        self._os.release(offset_of(key))
        with self._guard:
            lock = self._locks[key]
        lock.release()
        self._drop_user(key)

    def _drop_user(self, key: str) -> None:
        with self._guard:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                self._locks.pop(key, None)
