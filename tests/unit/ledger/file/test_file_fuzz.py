"""Hypothesis fuzz of journal damage: truncations, byte flips and junk lines never raise, and
never lose a record written after the damage."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from freesora.ledger import FileLedger, Take, TakeState

MODEL = "sora-2-text-to-video"
junk_lines = st.lists(st.binary(max_size=80), max_size=4)


async def _create(ledger: FileLedger, seed: int, task_id: str) -> None:
    take = Take(account="a", request="r" * 64, seed=seed)
    decision = await ledger.claim(take, model=MODEL)
    assert decision.claim is not None, decision.earlier
    await decision.claim.created(task_id)


async def _damage_then_write(
    folder: Path, cut: int, flips: list[tuple[int, int]], junk: list[bytes]
) -> None:
    path = folder / "tasks.jsonl"
    first = FileLedger(path)
    for seed in range(3):
        await _create(first, seed, f"before{seed}")
    await first.record_outcome("before1", TakeState.SUCCEEDED, file="/out/x.mp4")
    data = bytearray(path.read_bytes())
    del data[len(data) - cut % len(data) :]  # a torn tail
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    data += b"".join(junk)  # junk with or without newlines
    path.write_bytes(bytes(data))

    later = FileLedger(path)
    await later.entries()  # never raises on the damage
    await later.problems()
    for seed in range(10, 13):  # seeds no damaged line can name
        await _create(later, seed, f"after{seed}")
    await later.record_outcome("after11", TakeState.FAILED, reason="moderation")

    reread = FileLedger(path)
    found = {e.task_id: e.state for e in await reread.entries()}
    assert found["after10"] is TakeState.CREATED
    assert found["after11"] is TakeState.FAILED
    assert found["after12"] is TakeState.CREATED
    for seed in (10, 12):  # and none of them would be paid again
        decision = await reread.claim(Take("a", "r" * 64, seed), model=MODEL)
        assert decision.claim is None
    await reread.compact()
    compacted = {e.task_id: e.state for e in await FileLedger(path).entries()}
    assert {k: v for k, v in compacted.items() if k and k.startswith("after")} == {
        "after10": TakeState.CREATED,
        "after11": TakeState.FAILED,
        "after12": TakeState.CREATED,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=400),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
    junk=junk_lines,
)
def test_damage_never_raises_and_never_loses_a_record_written_after_it(
    cut: int, flips: list[tuple[int, int]], junk: list[bytes]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_damage_then_write(Path(folder), cut, flips, junk))
