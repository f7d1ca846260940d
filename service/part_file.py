"""A download's temp file, written by a thread of its own: a slow disk never stalls the event loop.

ComfyUI runs every node of a prompt on one event loop, so a blocking write of a 2 GB video would
stop every other node (and the download's own cancel and deadline checks) while the disk is slow.
Chunks go through a bounded queue (`QUEUE_CHUNKS`) to one writer thread, which alone touches the
file: it writes, and at the end either renames it into place or closes and removes it. The loop
only waits, cancellably, for room in the queue or for the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

QUEUE_CHUNKS = 8  # chunks waiting for the disk: 2 MB of 256 KB chunks, the memory bound
ABORT_WAIT_S = 1.0  # how long a stop waits for the thread to remove the file (a stuck write
# keeps it until the write returns; the thread removes it then)

OpenPart = Callable[[Path], tuple[int, str]]  # dest -> (open fd, temp name)


def open_beside(dest: Path) -> tuple[int, str]:
    """A unique temp file beside `dest` (same folder, so the final rename is atomic)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")


class _Commit:
    def __init__(self, dest: Path) -> None:
        self.dest = dest


_ABORT = object()


class PartWriter:
    """One temp file and its writer thread; use `write`, then `commit` or `abort`."""

    def __init__(self, fd: int, name: str) -> None:
        self.name = name
        self._loop = asyncio.get_running_loop()
        self._room = asyncio.Semaphore(QUEUE_CHUNKS)
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._done: asyncio.Future[None] = self._loop.create_future()
        self._failure: OSError | None = None
        handle = os.fdopen(fd, "wb")
        # A daemon of its own, not the loop's executor: a write stuck on a dead disk must not
        # hold up the end of the prompt's loop (asyncio.run waits for executor threads).
        self._thread = threading.Thread(
            target=self._run, args=(handle,), name="freesora-part-writer", daemon=True
        )
        self._thread.start()

    @property
    def failure(self) -> OSError | None:
        """The write error that stopped the thread, if any (e.g. a full disk)."""
        return self._failure

    async def write(self, chunk: bytes) -> None:
        """Queue a chunk, waiting (cancellably) while QUEUE_CHUNKS are still unwritten."""
        self._raise_failure()
        await self._room.acquire()
        self._queue.put(chunk)

    async def commit(self, dest: Path) -> None:
        """Write what is queued, close the file and rename it to `dest`."""
        self._queue.put(_Commit(dest))
        await asyncio.shield(self._done)
        self._raise_failure()

    async def abort(self) -> None:
        """Stop: the thread closes and removes the file (waited for at most ABORT_WAIT_S)."""
        self._queue.put(_ABORT)
        await asyncio.wait({self._done}, timeout=ABORT_WAIT_S)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _run(self, handle: BinaryIO) -> None:
        committed = False
        try:
            committed = self._drain(handle)
        finally:
            if not committed:
                with contextlib.suppress(OSError):
                    handle.close()
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.name)  # never leave half a video behind
            self._call_loop(self._finish)

    def _drain(self, handle: BinaryIO) -> bool:
        """Write chunks until told to commit (True: renamed into place) or abort (False)."""
        while True:
            item = self._queue.get()
            if item is _ABORT:
                return False
            if isinstance(item, _Commit):
                if self._failure is not None:
                    return False
                try:
                    handle.close()
                    os.replace(self.name, item.dest)
                except OSError as exc:
                    self._failure = exc
                    return False
                return True
            if self._failure is None and isinstance(item, bytes):
                try:
                    handle.write(item)
                except OSError as exc:
                    self._failure = exc  # reported by the next write or the commit
            self._call_loop(self._room.release)

    def _finish(self) -> None:
        if not self._done.done():
            self._done.set_result(None)

    def _call_loop(self, callback: Callable[[], None]) -> None:
        # The loop may be gone (a cancelled prompt's loop ends while a write is stuck).
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback)
