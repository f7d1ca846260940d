"""The one way for work to run to its end though its caller is cancelled.

A write the ledger began (a take's record, an outcome) or a create the service may have
received must not be abandoned halfway: a half-known write is worse than a late one, and an
abandoned create is charged all the same. So the work runs shielded, the caller waits for it
to end, and only then does the cancel go on. A second cancel stops the wait (the work still
runs to its end, unwatched): whoever cancels twice means it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Outlived(Generic[T]):
    """How outlived work ended. `future` is done: its result, its error (TimeoutError when it
    was given up after `within_s`), or cancelled. `cancelled`: the wait was cancelled, so the
    caller cancels itself once it has dealt with the outcome."""

    future: asyncio.Future[T]
    cancelled: bool


async def outlive(
    work: Awaitable[T],
    *,
    within_s: float | None = None,
    on_cancel: Callable[[], None] | None = None,
) -> Outlived[T]:
    """Wait for `work` to end, through a cancel of the caller; never raises (but for a second
    cancel, which stops the wait). `within_s` bounds the work: it is given up after that.
    `on_cancel` is told when a cancel comes while the work still runs, before the wait goes on:
    whoever cancelled (Ctrl+C) learns at once why nothing stops yet."""
    bounded = work if within_s is None else asyncio.wait_for(work, within_s)
    future = asyncio.ensure_future(bounded)
    future.add_done_callback(_retrieve)
    try:
        await asyncio.shield(future)
    except asyncio.CancelledError:
        if not future.done():
            if on_cancel is not None:
                on_cancel()
            await asyncio.wait([future])
        return Outlived(future, cancelled=True)
    except Exception:  # the future holds the error, for the caller to read
        pass
    return Outlived(future, cancelled=False)


async def finish(work: Awaitable[T]) -> T:
    """`work`'s result (or its error) once it has ended; a cancel that came meanwhile is
    raised after it has, e.g. `await finish(asyncio.to_thread(write, record))`."""
    outlived = await outlive(work)
    if outlived.cancelled:
        raise asyncio.CancelledError
    return outlived.future.result()


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark the work's error as seen: the caller reads it from `Outlived`, or does not need it."""
    if not future.cancelled():
        future.exception()
