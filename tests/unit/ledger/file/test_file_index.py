"""The file store's index in columns: details read back from the journal, never another task's."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freesora.ledger import FileLedger, Take, TakeState
from freesora.ledger.file import index_cache
from freesora.ledger.file.index import Index, pack, unpack
from freesora.ledger.file.records import BadRecord, apply

MODEL = "sora-2-text-to-video"


def take(seed: int) -> Take:
    return Take(account="default:abc", request="r" * 64, seed=seed)


async def create(ledger: FileLedger, seed: int, task_id: str) -> None:
    decision = await ledger.claim(take(seed), model=MODEL)
    assert decision.claim is not None
    await decision.claim.created(task_id)


async def finish(ledger: FileLedger, task_id: str) -> None:
    await ledger.record_outcome(
        task_id, TakeState.SUCCEEDED, url=f"https://cdn/{task_id}.mp4", file=f"/out/{task_id}.mp4"
    )


def details(entries: list) -> dict[str | None, tuple[str | None, str | None]]:  # type: ignore[type-arg]
    return {e.task_id: (e.url, e.file) for e in entries}


@pytest.fixture
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A journal whose index is cached from its fourth line on."""
    monkeypatch.setattr(index_cache, "MIN_LINES", 4)
    return tmp_path / "tasks.jsonl"


async def test_urls_and_files_come_back_from_the_journal_through_its_index_cache(
    cached: Path,
) -> None:
    path = cached
    writer = FileLedger(path)
    for seed in range(3):
        await create(writer, seed, f"t{seed}")
        await finish(writer, f"t{seed}")
    assert index_cache.cache_path(path).exists()  # refreshed as the journal grew
    await create(writer, 9, "t9")  # after the cache
    await finish(writer, "t9")
    reader = FileLedger(path)
    expected = {t: (f"https://cdn/{t}.mp4", f"/out/{t}.mp4") for t in ("t0", "t1", "t2", "t9")}
    assert details(await reader.entries()) == expected
    found = await reader.find_task("t1")
    assert found is not None
    assert (found.url, found.file) == expected["t1"]


async def test_details_follow_a_compaction_by_another_handle(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    one, two = FileLedger(path), FileLedger(path)
    for seed in range(3):
        await create(one, seed, f"t{seed}")
    await finish(one, "t1")
    assert details(await one.entries())["t1"] == ("https://cdn/t1.mp4", "/out/t1.mp4")
    await two.compact()  # a new file: every offset `one` knew now points elsewhere
    await create(two, 5, "t5")
    await finish(two, "t5")
    seen = details(await one.entries())
    assert seen["t1"] == ("https://cdn/t1.mp4", "/out/t1.mp4")
    assert seen["t5"] == ("https://cdn/t5.mp4", "/out/t5.mp4")
    assert seen["t0"] == (None, None)


async def test_a_line_changed_under_the_index_gives_no_detail_rather_than_another_tasks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.jsonl"
    ledger = FileLedger(path)
    await create(ledger, 1, "ta")
    await create(ledger, 2, "tb")
    await finish(ledger, "ta")
    await finish(ledger, "tb")
    await ledger.entries()  # indexed
    # Damage in place (same file, same size): the two finished lines trade their task ids.
    data = path.read_bytes()
    lines = data.split(b"\n")
    swapped = [
        line.replace(b'"ta"', b'"tX"').replace(b'"tb"', b'"ta"').replace(b'"tX"', b'"tb"')
        if b'"finished"' in line
        else line
        for line in lines
    ]
    path.write_bytes(b"\n".join(swapped))
    found = await ledger.find_task("ta")
    assert found is not None
    assert found.state is TakeState.SUCCEEDED
    assert (found.url, found.file) == (None, None)  # never tb's video


def test_a_record_with_no_line_keeps_its_details_in_memory() -> None:
    index = Index()
    apply(index, {"event": "sending", "take": "k" * 64, "model": MODEL, "time": 1.0}, 0)
    apply(index, {"event": "created", "take": "k" * 64, "task_id": "t1", "time": 2.0}, 100)
    finished = {"event": "finished", "task_id": "t1", "status": "succeeded", "time": 3.0}
    apply(index, {**finished, "file": "/out/t1.mp4"}, None)  # the disk refused it
    (entry,) = index.entries([index.by_task["t1"]], lambda offsets: dict.fromkeys(offsets))
    assert (entry.state, entry.file, entry.url) == (TakeState.SUCCEEDED, "/out/t1.mp4", None)


ASKED = {"prompt": "A paper boat", "seconds": 10, "aspect_ratio": "landscape"}


async def lose(ledger: FileLedger, seed: int, asked: dict[str, object] | None = ASKED) -> None:
    decision = await ledger.claim(dataclasses.replace(take(seed), asked=asked), model=MODEL)
    assert decision.claim is not None
    await decision.claim.unknown("timed out")


async def test_an_unknown_takes_request_comes_back_through_the_index_cache(cached: Path) -> None:
    for seed in range(3):
        await lose(FileLedger(cached), seed)
    assert index_cache.cache_path(cached).exists()
    await lose(FileLedger(cached), 9, {**ASKED, "prompt": "after the cache"})
    requests = {e.seed: e.request for e in await FileLedger(cached).entries()}
    assert requests == {0: ASKED, 1: ASKED, 2: ASKED, 9: {**ASKED, "prompt": "after the cache"}}


def test_a_sending_record_with_no_line_keeps_its_request_in_memory() -> None:
    index = Index()
    sending = {"event": "sending", "take": "k" * 64, "model": MODEL, "time": 1.0}
    apply(index, {**sending, "request": ASKED}, None)  # the disk refused it
    (entry,) = index.entries([index.rows[pack("k" * 64)]], lambda offsets: dict.fromkeys(offsets))
    assert (entry.state, entry.request) == (TakeState.SENDING, ASKED)


async def test_a_damaged_request_loses_only_its_bad_parts_never_the_take(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    await lose(FileLedger(path), 1, {"prompt": ["not", "text"], "seconds": 10, "shots": {}})
    await lose(FileLedger(path), 2, "a request that is not an object")  # type: ignore[arg-type]
    reader = FileLedger(path)
    assert {e.seed: e.request for e in await reader.entries()} == {1: {"seconds": 10}, 2: None}
    assert await reader.problems() == []


@given(st.one_of(st.text(), st.text("0123456789abcdefABCDEF ", min_size=60, max_size=66)))
def test_a_take_key_reads_back_exactly_as_written(key: str) -> None:
    assert unpack(pack(key)) == key


def test_hex_take_keys_are_kept_as_their_bytes() -> None:
    key = take(1).key
    assert pack(key) == bytes.fromhex(key)
    assert pack(key.upper()) == key.upper()  # would not read back the same as bytes


async def test_a_carried_record_with_an_impossible_slot_is_damage_not_a_crash(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.jsonl"
    ledger = FileLedger(path)
    await create(ledger, 1, "t1")
    carried = {"event": "carried", "take": "n" * 64, "from": take(1).key, "account": "a"}
    with path.open("a", encoding="utf-8") as handle:
        for slot in (2**70, -1):
            handle.write(json.dumps({**carried, "slot": slot, "time": 5.0}) + "\n")
    reread = FileLedger(path)
    assert [e.task_id for e in await reread.entries()] == ["t1"]
    assert len(await reread.problems()) == 3  # the count, then each line


@pytest.mark.parametrize("event", ["entry", "charge"])
def test_a_compacted_record_with_an_unknown_state_is_damage_naming_it(event: str) -> None:
    index = Index()
    record = {"event": event, "take": "k" * 64, "account": "a", "state": "teleported", "time": 1.0}
    with pytest.raises(BadRecord, match="state must be a take state, got 'teleported'"):
        apply(index, {**record, "updated": 1.0}, 0)
    assert index.rows == {}
