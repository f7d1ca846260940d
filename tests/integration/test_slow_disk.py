"""A slow disk does not stall the event loop, against a real slow writer.

The temp file is a FIFO whose reader (the "disk") takes nothing until the test says so: once
its pipe is full, every write into it really blocks in the kernel. A download must keep the
loop serving other work meanwhile (other nodes of the prompt) and must still stop on cancel.
The orderings are recorded by events; the waits on them are only guards against a hang.
"""

from __future__ import annotations

import array
import asyncio
import os
import select
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from freesora.errors import DownloadError, WaitCancelledError
from freesora.service.download import download

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="a FIFO whose pipe size can be read (Linux)"
)

SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "assets" / "sample.mp4"
BODY = SAMPLE.read_bytes() + bytes(2 * 1024 * 1024)  # far more than a pipe holds
GUARD_S = 20.0  # only so that a broken pack fails the test instead of hanging it


class SlowDisk:
    """A FIFO as the download's temp file; `drain` reads it (the disk finally writing)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "slow.part"
        os.mkfifo(self.path)
        self.reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.full = threading.Event()
        self.received = bytearray()

    def open_part(self, dest: Path) -> tuple[int, str]:
        # O_RDWR: opening a FIFO for writing alone would wait for a reader.
        return os.open(self.path, os.O_RDWR), str(self.path)

    def wait_until_full(self) -> None:
        """Until the pipe is full: from then on the writer is blocked in write()."""
        import fcntl  # POSIX only: imported here so that Windows collects the module and skips
        import termios

        size = fcntl.fcntl(self.reader, fcntl.F_GETPIPE_SZ)
        pending = array.array("i", [0])
        while not self.full.wait(0.01):
            fcntl.ioctl(self.reader, termios.FIONREAD, pending)
            if pending[0] >= size:
                self.full.set()

    def drain(self, total: int) -> None:
        """Read until `total` bytes came, or the writer closed the FIFO (end of file)."""
        while len(self.received) < total:
            ready, _, _ = select.select([self.reader], [], [], GUARD_S)
            data = os.read(self.reader, 1 << 20) if ready else b""
            if not data:
                return
            self.received += data


@pytest.fixture
async def storage() -> AsyncIterator[str]:
    async def video(request: web.Request) -> web.Response:
        return web.Response(body=BODY, content_type="video/mp4")

    async def ping(request: web.Request) -> web.Response:
        return web.Response(text="pong")

    app = web.Application()
    app.router.add_get("/ping", ping)
    app.router.add_get("/video.mp4", video)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/")


def in_thread(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


async def test_the_loop_serves_other_work_while_a_write_is_blocked(
    storage: str, tmp_path: Path
) -> None:
    disk = SlowDisk(tmp_path)
    order: list[str] = []
    loop_answered = threading.Event()

    def the_disk() -> None:
        disk.wait_until_full()
        if not loop_answered.wait(GUARD_S):
            order.append("the loop was stalled by the write")
        order.append("the disk took the data")
        disk.drain(len(BODY))

    disk_thread = in_thread(the_disk)
    saving = asyncio.ensure_future(
        download(
            f"{storage}/video.mp4", tmp_path / "v.mp4", base_url=storage, open_part=disk.open_part
        )
    )
    await asyncio.to_thread(disk.full.wait, GUARD_S)
    # Another node's work on the same loop: a real request, answered while the write blocks.
    async with aiohttp.ClientSession() as session, session.get(f"{storage}/ping") as resp:
        assert await resp.text() == "pong"
    order.append("the loop answered another request")
    loop_answered.set()
    await saving
    await asyncio.to_thread(disk_thread.join, GUARD_S)
    assert order == ["the loop answered another request", "the disk took the data"]
    assert bytes(disk.received) == BODY


async def test_cancel_stops_a_download_whose_write_is_stuck_and_the_part_goes_later(
    storage: str, tmp_path: Path
) -> None:
    disk = SlowDisk(tmp_path)
    stopped = threading.Event()
    order: list[str] = []

    def the_disk() -> None:
        disk.wait_until_full()
        if not stopped.wait(GUARD_S):  # stuck until the download has been stopped
            order.append("the stuck write held up the cancel")
        order.append("the disk took the data")
        disk.drain(len(BODY))

    disk_thread = in_thread(the_disk)
    with pytest.raises(WaitCancelledError):
        await download(
            f"{storage}/video.mp4",
            tmp_path / "v.mp4",
            task_id="t1",
            base_url=storage,
            open_part=disk.open_part,
            should_cancel=disk.full.is_set,  # the user cancels while the write is stuck
        )
    order.append("the download stopped")
    stopped.set()
    await asyncio.to_thread(disk_thread.join, GUARD_S)
    assert order == ["the download stopped", "the disk took the data"]
    assert len(disk.received) < len(BODY)  # the rest was never written
    # Once the stuck write returns, the writer thread removes the temp file.
    for _ in range(int(GUARD_S / 0.01)):
        if not disk.path.exists():
            break
        await asyncio.sleep(0.01)
    assert not disk.path.exists()
    assert not (tmp_path / "v.mp4").exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
async def test_a_full_disk_is_a_download_error_naming_the_task_and_folder_not_an_oserror(
    storage: str, tmp_path: Path
) -> None:
    part = tmp_path / "full.part"
    part.symlink_to("/dev/full")  # every write: ENOSPC, "No space left on device"

    def open_full(dest: Path) -> tuple[int, str]:
        return os.open(part, os.O_WRONLY), str(part)

    with pytest.raises(DownloadError) as caught:
        await download(
            f"{storage}/video.mp4",
            tmp_path / "v.mp4",
            task_id="t1",
            base_url=storage,
            open_part=open_full,
        )
    message = str(caught.value)
    assert "task t1" in message
    assert "No space left on device" in message
    assert str(tmp_path) in message
    assert "freesora wait t1" in message
    assert not part.is_symlink()  # the temp name was removed
    assert not (tmp_path / "v.mp4").exists()
