"""The file store: durable lines, damage survived, old journals read, crashes, other processes."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from freesora.config import default_journal_path
from freesora.errors import LedgerError
from freesora.ledger import FileLedger, Take, TakeState
from freesora.ledger.file.secret import secret_path

MODEL = "sora-2-text-to-video"


def take(seed: int = 1, slot: int = 0) -> Take:
    return Take(account="default:abc", request="r" * 64, seed=seed, slot=slot)


async def create(ledger: FileLedger, one: Take, task_id: str) -> None:
    decision = await ledger.claim(one, model=MODEL)
    assert decision.claim is not None
    await decision.claim.created(task_id)


async def test_records_are_one_json_line_each_readable_by_the_owner_only(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "j" / "tasks.jsonl")
    await ledger.account("default", "sk-secret")  # makes the secret, and marks the journal
    await create(ledger, take(), "t1")
    lines = ledger.path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["keyed", "sending", "created"]
    if os.name == "posix":
        for path in (ledger.path, secret_path(ledger.path)):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "sk-secret" not in ledger.path.read_text(encoding="utf-8")


async def test_a_torn_line_never_swallows_the_record_appended_after_it(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    await create(ledger, take(seed=1), "t1")
    with ledger.path.open("ab") as handle:
        handle.write(b'{"event":"created","take":"xx","task_id":"half')  # a crash mid-write
    await create(FileLedger(ledger.path), take(seed=2), "t2")
    restarted = FileLedger(ledger.path)
    assert {e.task_id for e in await restarted.entries()} == {"t1", "t2"}
    decision = await restarted.claim(take(seed=2), model=MODEL)
    assert decision.claim is None  # t2 is reused, not paid again
    assert any("line 3" in problem for problem in await restarted.problems())


@pytest.mark.parametrize(
    "junk",
    [
        b"\xff\xfe not utf-8 \x80\n",
        b'{"event":"created","take":"k","task_id":"t9","time":"yesterday"}\n',
        b'{"event":"finished","task_id":"t1","status":42}\n',
        b'{"event":"sending","take":["not","text"]}\n',
        b"[1, 2, 3]\n",
        b'{"event":"teleported"}\n',
        b"\n\n",
        b'{"event":"sending","take":"k","seed":"one"}\n',
        b'{"event":"sending","take":"k","time":1e999}\n',  # a flipped digit: an infinite time
    ],
)
async def test_a_bad_byte_or_a_wrong_field_is_skipped_reported_and_never_fatal(
    tmp_path: Path, junk: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    await create(ledger, take(seed=1), "t1")
    with ledger.path.open("ab") as handle:
        handle.write(junk)
    await create(FileLedger(ledger.path), take(seed=2), "t2")
    caplog.set_level(logging.WARNING, "freesora.ledger")
    restarted = FileLedger(ledger.path)
    assert {e.task_id for e in await restarted.entries()} == {"t1", "t2"}
    assert (await restarted.lookup(take(seed=1))) is not None
    problems = await restarted.problems()
    await restarted.entries()  # read again: reported once, not at every read
    if junk.strip():
        assert problems
        assert len([r for r in caplog.records if "damaged" in r.getMessage()]) == 1
    else:
        assert problems == []


async def test_the_first_journal_format_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    old = [
        {
            "event": "created",
            "task_id": "old1",
            "model": MODEL,
            "fingerprint": "f",
            "seed": 3,
            "time": 100.0,
        },
        {
            "event": "unknown",
            "task_id": None,
            "model": MODEL,
            "fingerprint": "g",
            "seed": 4,
            "time": 101.0,
            "error": "connection reset",
        },
        {
            "event": "finished",
            "task_id": "old1",
            "status": "succeeded",
            "url": "https://x",
            "file": "/tmp/freesora/old1.mp4",
            "reason": None,
            "time": 102.0,
        },
    ]
    path.write_text("".join(json.dumps(event) + "\n" for event in old), encoding="utf-8")
    ledger = FileLedger(path)
    found = await ledger.find_task("old1")
    assert found is not None
    assert (found.state, found.seed, found.file) == (
        TakeState.SUCCEEDED,
        3,
        "/tmp/freesora/old1.mp4",
    )
    [unknown] = [e for e in await ledger.entries() if e.task_id is None]
    assert (unknown.state, unknown.reason) == (TakeState.UNKNOWN, "connection reset")
    assert await ledger.problems() == []
    forgotten = await ledger.forget(unknown.take_key.split(":", 1)[1][:12])
    assert forgotten.state is TakeState.FORGOTTEN


async def test_duplicate_and_out_of_order_events_never_hide_a_task(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    key = take().key
    events = [
        {"event": "created", "take": key, "task_id": "t1", "time": 2.0},  # before its sending
        {"event": "sending", "take": key, "account": "a", "model": MODEL, "seed": 1, "time": 1.0},
        {"event": "created", "take": key, "task_id": "t1", "time": 2.0},
        {"event": "unknown", "take": key, "reason": "late duplicate", "time": 3.0},
        {"event": "finished", "task_id": "ghost", "status": "failed", "time": 4.0},
    ]
    path.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    ledger = FileLedger(path)
    assert {e.task_id for e in await ledger.entries()} == {"t1", "ghost"}
    decision = await ledger.claim(take(), model=MODEL)
    assert decision.claim is None
    assert decision.earlier is not None
    assert decision.earlier.task_id == "t1"


async def test_another_handle_sees_appends_and_a_compaction_incrementally(tmp_path: Path) -> None:
    one, two = FileLedger(tmp_path / "tasks.jsonl"), FileLedger(tmp_path / "tasks.jsonl")
    await create(one, take(seed=1), "t1")
    assert {e.task_id for e in await two.entries()} == {"t1"}
    await create(two, take(seed=2), "t2")
    await one.record_outcome("t1", TakeState.FAILED, reason="moderation")
    await two.compact()
    await create(two, take(seed=3), "t3")
    states = {e.task_id: e.state for e in await one.entries()}
    assert states == {"t1": TakeState.FAILED, "t2": TakeState.CREATED, "t3": TakeState.CREATED}


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a full disk)")
async def test_nothing_is_claimed_when_the_journal_cannot_be_written(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.symlink_to("/dev/full")  # every write fails as on a full disk
    ledger = FileLedger(path)
    with pytest.raises(LedgerError, match="cannot be written"):
        await ledger.claim(take(), model=MODEL)
    path.unlink()
    decision = await ledger.claim(take(), model=MODEL)  # the take was let go
    assert decision.claim is not None
    await decision.claim.release()


async def test_a_journal_that_cannot_be_read_is_a_ledger_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.mkdir()  # a folder where the journal should be: every read fails
    ledger = FileLedger(path)
    with pytest.raises(LedgerError, match=f"the task journal {path} cannot be read"):
        await ledger.entries(limit=10)
    with pytest.raises(LedgerError, match="cannot be read"):
        await ledger.claim(take(), model=MODEL)  # nothing to reuse from: nothing is sent


HOLDER = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from pathlib import Path
    from freesora.ledger import Take
    from freesora.ledger import FileLedger

    async def main():
        ledger = FileLedger(Path(sys.argv[1]))
        take = Take(account="default:abc", request="r" * 64, seed=1, slot=0)
        decision = await ledger.claim(take, model="sora-2-text-to-video")
        print("claimed", flush=True)
        if sys.argv[2] == "die":
            os.kill(os.getpid(), signal.SIGKILL)  # mid-create: no outcome is ever written
        await asyncio.sleep(float(sys.argv[3]))
        await decision.claim.created("from-the-other-process")
        print("created", flush=True)

    asyncio.run(main())
    """
)


def start_holder(path: Path, mode: str, hold_s: float = 0.0) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), mode, str(hold_s)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "claimed"
    return proc


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
async def test_a_process_killed_mid_create_leaves_an_unknown_take_never_resent(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.jsonl"
    proc = start_holder(path, "die")
    assert proc.wait(10) == -9
    ledger = FileLedger(path)
    [entry] = await ledger.entries()
    assert entry.state is TakeState.UNKNOWN
    assert "its process stopped before the answer was recorded" in (entry.reason or "")
    decision = await ledger.claim(take(), model=MODEL)
    assert decision.claim is None
    assert decision.earlier is not None
    assert decision.earlier.state is TakeState.UNKNOWN


async def test_another_process_holding_the_take_makes_this_one_wait_then_reuse(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.jsonl"
    proc = start_holder(path, "hold", hold_s=1.0)
    ledger = FileLedger(path)
    [entry] = await ledger.entries()
    assert entry.state is TakeState.SENDING  # alive: its lock is held, so not an orphan
    decision = await ledger.claim(take(), model=MODEL)  # waits for the other process
    assert proc.wait(10) == 0
    assert decision.claim is None
    assert decision.earlier is not None
    assert decision.earlier.task_id == "from-the-other-process"


def test_the_default_journal_lives_in_the_users_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    assert default_journal_path({"XDG_DATA_HOME": str(tmp_path)}) == (
        tmp_path / "freesora" / "tasks.jsonl"
    )
    monkeypatch.setattr(sys, "platform", "win32")
    assert default_journal_path({"LOCALAPPDATA": str(tmp_path)}) == (
        tmp_path / "freesora" / "tasks.jsonl"
    )
    # FREESORA_JOURNAL names a profile's journal (`Settings.journal`), not the default place.
    assert default_journal_path(
        {"LOCALAPPDATA": str(tmp_path), "FREESORA_JOURNAL": "/x/j.jsonl"}
    ) == (tmp_path / "freesora" / "tasks.jsonl")
    monkeypatch.setattr(sys, "platform", "darwin")
    for home in ("HOME", "USERPROFILE"):  # Path.home() reads the second on Windows
        monkeypatch.setenv(home, str(tmp_path))
    assert default_journal_path({"XDG_DATA_HOME": "/elsewhere"}) == (
        tmp_path / "Library" / "Application Support" / "freesora" / "tasks.jsonl"
    )


async def test_a_big_journal_opens_from_its_index_cache_only_while_it_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from freesora.ledger.file import index_cache

    monkeypatch.setattr(index_cache, "MIN_LINES", 4)
    path = tmp_path / "tasks.jsonl"
    writer = FileLedger(path)
    for seed in range(4):
        await create(writer, take(seed=seed), f"t{seed}")
    await writer.record_outcome("t1", TakeState.FAILED, reason="moderation")
    await FileLedger(path).entries()  # a full read leaves the cache behind
    assert index_cache.cache_path(path).exists()
    await create(writer, take(seed=9), "t9")  # appended after the cache
    cached = FileLedger(path)
    states = {e.task_id: e.state for e in await cached.entries()}
    assert states == {
        "t0": TakeState.CREATED,
        "t1": TakeState.FAILED,
        "t2": TakeState.CREATED,
        "t3": TakeState.CREATED,
        "t9": TakeState.CREATED,
    }
    # A journal changed under the cache (here: its first record rewritten) is read in full.
    data = path.read_bytes().replace(b'"t0"', b'"u0"', 1)
    path.write_bytes(data)
    assert "u0" in {e.task_id for e in await FileLedger(path).entries()}
    index_cache.cache_path(path).write_bytes(b"not a cache")
    assert len(await FileLedger(path).entries()) == 5
