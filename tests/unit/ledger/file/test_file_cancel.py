"""A cancel (ComfyUI's executor cancelling a pending node) that lands between claim and send:
the take was never sent, so it must never read as "may have been charged"."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from freesora.ledger import FileLedger, Take, TakeState

MODEL = "sora-2-text-to-video"


def take() -> Take:
    return Take(account="default:abc", request="r" * 64, seed=1, slot=0)


class HeldWrites:
    """Lets the journal's real appends run only when the test says so (the SENDING record is
    then being written when the cancel comes)."""

    def __init__(self, ledger: FileLedger) -> None:
        self.started = threading.Event()
        self.go_on = threading.Event()
        self._append = ledger.file.append
        ledger.file.append = self  # type: ignore[method-assign]

    def __call__(self, record: dict[str, Any]) -> Any:
        if record["event"] == "sending":
            self.started.set()
            self.go_on.wait(10)
        return self._append(record)


async def test_a_cancel_while_the_sending_record_is_written_leaves_the_take_free(
    tmp_path: Path,
) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    held = HeldWrites(ledger)
    claiming = asyncio.ensure_future(ledger.claim(take(), model=MODEL))
    assert await asyncio.to_thread(held.started.wait, 10)
    claiming.cancel()
    held.go_on.set()  # the SENDING line reaches the disk after the cancel
    with pytest.raises(asyncio.CancelledError):
        await claiming
    restarted = FileLedger(ledger.path)  # what every other process and a restart see
    [entry] = await restarted.entries()
    assert entry.state is TakeState.REFUSED
    assert entry.reason == "not sent"
    decision = await restarted.claim(take(), model=MODEL)
    assert decision.claim is not None, "a take that was never sent must not block its slot"
    await decision.claim.release()
