"""The file store's budget across a journal's life: compaction, the index cache, old journals."""

from __future__ import annotations

import json
from pathlib import Path

from freesora.ledger import Charge, FileLedger, Take, TakeState
from freesora.ledger.file import index_cache

MODEL = "sora-2-text-to-video"


def take(seed: int) -> Take:
    return Take(account="default:abc", request="r" * 64, seed=seed)


async def test_a_forgotten_unknown_sent_again_keeps_both_charges_through_a_compaction(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.jsonl"
    ledger = FileLedger(path)
    first = await ledger.claim(take(1), model=MODEL, charge=Charge(40, 1000))
    assert first.claim is not None
    await first.claim.unknown("answer lost")  # may be charged
    await ledger.forget(take(1).key)
    again = await ledger.claim(take(1), model=MODEL, charge=Charge(40, 1000))
    assert again.claim is not None
    await again.claim.created("t-again")
    assert (await ledger.spent("default:abc")).credits == 80
    await ledger.compact()
    reopened = FileLedger(path)
    assert (await reopened.spent("default:abc")).credits == 80
    listed = await reopened.entries()
    assert [(e.task_id, e.price) for e in listed] == [("t-again", 40)]  # the charge is unlisted
    await reopened.compact()  # and a second compaction keeps it too
    assert (await FileLedger(path).spent("default:abc")).credits == 80


async def test_an_old_journal_without_prices_opens_and_counts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    record = {
        "event": "sending",
        "take": "k" * 64,
        "account": "default:abc",
        "model": MODEL,
        "seed": 1,
        "slot": 0,
        "summary": "",
        "time": 1.0e9,
    }
    created = {"event": "created", "take": "k" * 64, "task_id": "t-old", "time": 1.0e9}
    path.write_text("\n".join(json.dumps(r) for r in (record, created)) + "\n")
    ledger = FileLedger(path)
    [entry] = await ledger.entries()
    assert (entry.task_id, entry.price, entry.state) == ("t-old", None, TakeState.CREATED)
    assert (await ledger.spent("default:abc")).credits == 0
    assert await ledger.problems() == []


async def test_a_wrong_price_is_damage_yet_its_take_is_kept_and_blocks_a_resend(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.jsonl"
    bad = {
        "event": "sending",
        "take": take(1).key,
        "account": "default:abc",
        "model": MODEL,
        "seed": 1,
        "slot": 0,
        "summary": "",
        "time": 1.0e9,
        "price": "lots",
    }
    path.write_text(json.dumps(bad) + "\n")
    ledger = FileLedger(path)
    [entry] = await ledger.entries()  # its process died after sending: it may be charged
    assert (entry.state, entry.price) == (TakeState.UNKNOWN, None)
    again = await ledger.claim(take(1), model=MODEL, charge=Charge(40, 1000))
    assert again.claim is None  # never sent again
    [problem, detail] = await ledger.problems()
    assert "1 damaged line" in problem
    assert "price must be a number of credits" in detail
    assert "the take is kept" in detail


async def test_the_index_cache_keeps_prices_and_the_budget_reads_them_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.jsonl"
    ledger = FileLedger(path)
    for seed in range(3):
        decision = await ledger.claim(take(seed), model=MODEL, charge=Charge(10, None))
        assert decision.claim is not None
        await decision.claim.created(f"t-{seed}")
    index = ledger.file.catch_up()
    info = path.stat()
    index_cache.save(path, (info.st_dev, info.st_ino), info.st_size, 6, index)
    loaded = index_cache.load(path, (info.st_dev, info.st_ino), info.st_size)
    assert loaded is not None
    cached = loaded[0]
    assert list(cached.price) == [10.0, 10.0, 10.0]
    assert [price for _, price, _, _ in cached.charges("default:abc")] == [10.0, 10.0, 10.0]


async def test_the_index_cache_keeps_what_the_service_said_of_a_failures_credits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.jsonl"
    ledger = FileLedger(path)
    for seed, refunded in ((0, True), (1, False), (2, None)):
        decision = await ledger.claim(take(seed), model=MODEL, charge=Charge(10, None))
        assert decision.claim is not None
        await decision.claim.created(f"t-{seed}")
        await ledger.record_outcome(f"t-{seed}", TakeState.FAILED, credits_refunded=refunded)
    index = ledger.file.catch_up()
    info = path.stat()
    index_cache.save(path, (info.st_dev, info.st_ino), info.st_size, 9, index)
    loaded = index_cache.load(path, (info.st_dev, info.st_ino), info.st_size)
    assert loaded is not None
    charges = loaded[0].charges("default:abc")
    assert [refunded for _, _, _, refunded in charges] == [True, False, None]
