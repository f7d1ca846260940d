"""One take claimed from two event loops of one process: the pack's own loop (a take started
when its prompt was queued) and ComfyUI's prompt loop (the node's claim when the prompt runs)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from freesora.ledger import FileLedger, Take, TakeState

MODEL = "sora-2-text-to-video"
TAKE = Take(account="a", request="r" * 64, seed=1)


@pytest.fixture
def other_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


async def _on(loop: asyncio.AbstractEventLoop, work: object) -> object:
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))  # type: ignore[arg-type]


async def _until_waiting(ledger: FileLedger, key: str, claimants: int) -> None:
    """Until `claimants` claims hold or wait for `key` here (each is counted as it starts)."""
    while ledger.takes.waiting(key) < claimants:  # noqa: ASYNC110 - counted on other loops
        await asyncio.sleep(0)


async def test_a_claim_on_another_loop_waits_for_the_holder_then_reuses_its_task(
    tmp_path: Path, other_loop: asyncio.AbstractEventLoop
) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    first = await _on(other_loop, ledger.claim(TAKE, model=MODEL))
    assert first.claim is not None  # type: ignore[attr-defined]
    second = asyncio.ensure_future(ledger.claim(TAKE, model=MODEL))
    await _until_waiting(ledger, TAKE.key, 2)
    assert not second.done()
    await _on(other_loop, first.claim.created("t-early"))  # type: ignore[attr-defined]
    decision = await asyncio.wait_for(second, 10)
    assert decision.claim is None
    assert decision.earlier is not None
    assert (decision.earlier.task_id, decision.earlier.state) == ("t-early", TakeState.CREATED)


async def test_a_waiter_cancelled_on_its_loop_leaves_the_take_to_the_next_claimant(
    tmp_path: Path, other_loop: asyncio.AbstractEventLoop
) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    first = await ledger.claim(TAKE, model=MODEL)
    assert first.claim is not None
    cancelled = asyncio.run_coroutine_threadsafe(ledger.claim(TAKE, model=MODEL), other_loop)
    await _until_waiting(ledger, TAKE.key, 2)
    cancelled.cancel()
    third = asyncio.ensure_future(ledger.claim(TAKE, model=MODEL))
    await first.claim.release()  # nothing was sent: the take is free again
    decision = await asyncio.wait_for(third, 10)
    assert decision.claim is not None  # the cancelled waiter never kept it
    await decision.claim.created("t-third")
    assert not ledger.takes.in_use(TAKE.key)
