"""The locks of the takes being claimed in this process: an asyncio lock, then the OS lock.

Two claims of one take in this process queue on its asyncio lock (OS locks never conflict
within a process); across processes the OS lock on the take's byte of the lock file decides.
The thread that waits for another process's lock runs in a pool of its own, so a long wait
never starves other nodes' `to_thread` work.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from .locks import LockFile, offset_of

_waits: ThreadPoolExecutor | None = None
_WAITS_GUARD = threading.Lock()


def _lock_waits() -> ThreadPoolExecutor:
    global _waits
    with _WAITS_GUARD:
        if _waits is None:
            _waits = ThreadPoolExecutor(max_workers=16, thread_name_prefix="freesora-ledger")
        return _waits


class TakeLocks:
    """Held takes of one journal in this process (`hold` ... `let_go`)."""

    def __init__(self, locks: LockFile) -> None:
        self._os = locks
        self._users: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def in_use(self, key: str) -> bool:
        """Held or waited for here: its SENDING record, if any, is not an orphan."""
        return key in self._users

    async def hold(self, key: str) -> None:
        """This process's asyncio lock, then the OS lock, of one take (released by `let_go`)."""
        self._users[key] = self._users.get(key, 0) + 1
        lock = self._locks.setdefault(key, asyncio.Lock())
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
        self._locks[key].release()
        self._drop_user(key)

    def _drop_user(self, key: str) -> None:
        self._users[key] -= 1
        if not self._users[key]:
            del self._users[key]
            self._locks.pop(key, None)
