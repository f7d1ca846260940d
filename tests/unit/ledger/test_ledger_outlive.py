"""Outliving a cancel: work the ledger or a create began runs to its end, then the cancel."""

from __future__ import annotations

import asyncio

import pytest

from freesora.ledger.outlive import finish, outlive


class Work:
    """Work that ends only when released, and says whether it ended or was stopped."""

    def __init__(self, result: int = 7) -> None:
        self.release = asyncio.Event()
        self.result = result
        self.ended: list[str] = []

    async def run(self) -> int:
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.ended.append("stopped")
            raise
        self.ended.append("ended")
        return self.result


async def turns(n: int = 5) -> None:
    """Let every ready task take a step (no time passes)."""
    for _ in range(n):
        await asyncio.sleep(0)


async def failing() -> int:
    raise OSError("disk full")


async def test_the_works_result_or_error_is_what_the_caller_gets() -> None:
    work = Work(result=7)
    work.release.set()
    assert await finish(work.run()) == 7
    outlived = await outlive(work.run(), within_s=60.0)
    assert (outlived.cancelled, outlived.future.result()) == (False, 7)
    ended = await outlive(failing())
    assert not ended.cancelled
    assert isinstance(ended.future.exception(), OSError)
    with pytest.raises(OSError, match="disk full"):
        await finish(failing())


async def test_a_cancel_is_raised_only_after_the_work_has_ended() -> None:
    work = Work()
    waiter = asyncio.ensure_future(finish(work.run()))
    await turns()
    waiter.cancel()
    await turns()
    assert not waiter.done()  # still waiting for the work, which goes on
    assert work.ended == []
    work.release.set()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert work.ended == ["ended"]


async def test_a_second_cancel_stops_the_wait_and_the_work_still_ends() -> None:
    work = Work()
    waiter = asyncio.ensure_future(outlive(work.run()))
    await turns()
    waiter.cancel()
    await turns()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert work.ended == []  # the wait stopped before the work ended
    work.release.set()
    await turns()
    assert work.ended == ["ended"]


async def test_bounded_work_is_given_up_once_it_runs_past_within_s() -> None:
    work = Work()
    outlived = await outlive(work.run(), within_s=0.0)
    assert not outlived.cancelled
    assert isinstance(outlived.future.exception(), asyncio.TimeoutError)
    work.release.set()
    await turns()
    assert "ended" not in work.ended  # given up: stopped, or never started


async def test_whoever_cancels_is_told_at_once_that_the_work_goes_on() -> None:
    work = Work()
    told: list[list[str]] = []
    waiter = asyncio.ensure_future(
        outlive(work.run(), on_cancel=lambda: told.append(list(work.ended)))
    )
    await turns()
    assert told == []  # no cancel yet: nothing to tell
    waiter.cancel()
    await turns()
    assert told == [[]]  # told while the work still runs
    work.release.set()
    outlived = await waiter
    assert outlived.cancelled
    assert (told, outlived.future.result()) == ([[]], 7)
