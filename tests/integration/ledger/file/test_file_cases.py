"""The file store's promises end to end: never paid twice, never lost, never blocked wider.

Each test drives one situation a user meets (a cancel, a crash, damage, another account, a
failure, a full disk, a graph that runs one take twice, a collect) through the real client,
`submit_tasks`, `collect_video` and the file store, against the sandbox on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest
from harness import Harness
from ledger_view import oldest_first

from freesora.collect import collect_video
from freesora.create import submit as submit_module
from freesora.create.plan import PlannedTask
from freesora.create.submit import submit_tasks
from freesora.errors import CreateOutcomeUnknownError, LedgerError, ServiceError
from freesora.ledger import FileLedger, TakeState
from freesora.sandbox import SANDBOX_KEY
from freesora.schemas import build_create_request

SAMPLE = Path(__file__).resolve().parents[4] / "sandbox" / "assets" / "sample.mp4"


def planned(prompt: str = "A paper boat") -> list[PlannedTask]:
    return [PlannedTask(build_create_request(model="sora-2-text-to-video", prompt=prompt))]


@pytest.fixture
def ledger(tmp_path: Path) -> FileLedger:
    return FileLedger(tmp_path / "tasks.jsonl")


async def wait_for_creates(harness: Harness, count: int) -> None:
    # The sandbox offers no event for "a create arrived": poll its record of requests.
    while len(harness.sandbox.received.creates) < count:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def test_a_create_cancelled_in_flight_is_awaited_recorded_and_reused(
    harness: Harness, ledger: FileLedger
) -> None:
    """The prompt fails elsewhere (the executor cancels the node) while a create is sent."""
    harness.sandbox.faults.add("create", "delay", seconds=0.3)
    running = asyncio.create_task(submit_tasks(harness.client, planned(), ledger=ledger, seed=1))
    await wait_for_creates(harness, 1)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert len(harness.sandbox.tasks) == 1  # awaited before the cancellation went on
    [record] = await oldest_first(ledger)
    assert record.state is TakeState.CREATED
    assert record.task_id in harness.sandbox.tasks
    [again] = await submit_tasks(harness.client, planned(), ledger=FileLedger(ledger.path), seed=1)
    assert again.reused
    assert again.task_id == record.task_id
    assert len(harness.sandbox.received.creates) == 1


async def test_a_torn_line_does_not_make_the_next_task_paid_again(
    harness: Harness, ledger: FileLedger
) -> None:
    """A crash tore a line; the record appended after it must survive a restart."""
    await ledger.account("default", SANDBOX_KEY)
    with ledger.path.open("ab") as handle:
        handle.write(b'{"event":"sending","take":"abc","tim')
    [first] = await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    [again] = await submit_tasks(harness.client, planned(), ledger=FileLedger(ledger.path), seed=1)
    assert again.reused
    assert again.task_id == first.task_id
    assert len(harness.sandbox.tasks) == 1


async def test_bad_bytes_and_wrong_fields_never_stop_a_create_or_a_list(
    harness: Harness, ledger: FileLedger
) -> None:
    """One bad byte, one `"time": "yesterday"` anywhere in the journal."""
    [first] = await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    with ledger.path.open("ab") as handle:
        handle.write(b"\xff\xfe\x80 junk\n")
        handle.write(b'{"event":"created","take":"k","task_id":"t","time":"yesterday"}\n')
    restarted = FileLedger(ledger.path)
    [again] = await submit_tasks(harness.client, planned(), ledger=restarted, seed=1)
    [other] = await submit_tasks(harness.client, planned("Another"), ledger=restarted, seed=1)
    assert again.task_id == first.task_id
    assert {e.task_id for e in await restarted.entries()} == {first.task_id, other.task_id}
    assert "2 damaged line(s)" in (await restarted.problems())[0]


async def test_another_account_never_reuses_a_task_it_cannot_see(
    harness: Harness, ledger: FileLedger
) -> None:
    """The same request and seed under another profile's key is another take."""
    [mine] = await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    theirs_client = harness.client_with(key=SANDBOX_KEY + "-bob")
    [theirs] = await submit_tasks(theirs_client, planned(), ledger=ledger, seed=1)
    assert not theirs.reused
    assert theirs.task_id != mine.task_id
    assert harness.sandbox.tasks[theirs.task_id].owner == SANDBOX_KEY + "-bob"
    text = ledger.path.read_text(encoding="utf-8")
    assert SANDBOX_KEY not in text


async def test_generation_failed_code_501_is_recorded_and_the_seed_creates_anew(
    harness: Harness, ledger: FileLedger, tmp_path: Path
) -> None:
    """The service ends a task with code 501; the same seed must not reuse it forever."""
    [first] = await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    harness.sandbox.faults.add("status", "code", code=501, message="generation failed")
    with pytest.raises(ServiceError):
        await collect_video(
            harness.client, first.task_id, tmp_path, ledger=ledger, clock=harness.clock
        )
    found = await ledger.find_task(first.task_id)
    assert found is not None
    assert found.state is TakeState.FAILED
    assert "code 501" in (found.reason or "")
    [again] = await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    assert not again.reused
    assert again.task_id != first.task_id
    assert f"task {first.task_id} with this seed was failed" in again.describe()


async def test_an_unknown_outcome_blocks_only_its_slot_of_the_batch(
    harness: Harness, ledger: FileLedger
) -> None:
    """One slot's answer lost; the next run reuses the others and pays for none again."""
    batch = planned("one") + planned("two") + planned("three")
    client = harness.client_with(max_concurrent_creates=1)
    # The second create to arrive is created and its answer lost. Which slot that is depends
    # on which of the batch's hashing threads finishes first: the ledger says.
    harness.sandbox.faults.add("create", "delay", seconds=0)
    harness.sandbox.faults.add("create", "reset_after")
    with pytest.raises(CreateOutcomeUnknownError) as info:
        await submit_tasks(client, batch, ledger=ledger, seed=1)
    await harness.sandbox.drain()
    assert len(harness.sandbox.tasks) == 3
    assert "may exist and may have been charged" in str(info.value)
    [lost] = [e for e in await ledger.entries() if e.state is TakeState.UNKNOWN]
    with pytest.raises(CreateOutcomeUnknownError) as blocked:
        await submit_tasks(client, batch, ledger=ledger, seed=1)
    message = str(blocked.value)
    assert f"Slot {lost.slot + 1}:" in message
    assert "may have been charged" in message
    for way_out in ("freesora tasks adopt", "FreeSora tab", "freesora tasks forget", "seed"):
        assert way_out in message
    assert len(harness.sandbox.received.creates) == 3  # the others reused, the lost not resent
    await ledger.forget(lost.take_key[:12])
    results = await submit_tasks(client, batch, ledger=ledger, seed=1)
    assert [r.reused for r in results] == [slot != lost.slot for slot in range(3)]
    assert len(harness.sandbox.received.creates) == 4


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a full disk)")
async def test_a_record_lost_after_a_create_names_the_task_id(
    harness: Harness, ledger: FileLedger, caplog: pytest.LogCaptureFixture
) -> None:
    """The disk fills between the create and its record: the id must not be lost."""
    harness.sandbox.faults.add("create", "delay", seconds=0.3)
    running = asyncio.create_task(submit_tasks(harness.client, planned(), ledger=ledger, seed=1))
    await wait_for_creates(harness, 1)
    ledger.path.unlink()
    ledger.path.symlink_to("/dev/full")  # the disk is full from now on
    with pytest.raises(LedgerError) as info:
        await running
    [task_id] = list(harness.sandbox.tasks)
    assert task_id in str(info.value)
    assert info.value.task_id == task_id
    assert any(task_id in r.getMessage() for r in caplog.records)
    # This process still knows it: the same take is reused, not paid again.
    [again] = await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    assert (again.task_id, again.reused) == (task_id, True)


async def test_nothing_is_sent_when_the_journal_cannot_be_written(
    harness: Harness, tmp_path: Path
) -> None:
    """The journal refuses the claim before the create: nothing sent, nothing charged."""
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full (a full disk)")
    path = tmp_path / "tasks.jsonl"
    ledger = FileLedger(path)
    await ledger.account("default", SANDBOX_KEY)
    path.unlink()  # the journal holds only the secret's mark so far
    path.symlink_to("/dev/full")
    with pytest.raises(LedgerError) as info:
        await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    assert "Nothing was sent and no credits were spent" in str(info.value)
    assert harness.sandbox.received.creates == []


async def test_two_identical_nodes_in_one_graph_share_one_task(
    harness: Harness, ledger: FileLedger
) -> None:
    """Check and create are one step: two identical creation nodes run at once."""
    harness.sandbox.faults.add("create", "delay", seconds=0.2)
    one, two = await asyncio.gather(
        submit_tasks(harness.client, planned(), ledger=ledger, seed=1),
        submit_tasks(harness.client, planned(), ledger=ledger, seed=1),
    )
    assert one[0].task_id == two[0].task_id
    assert sorted([one[0].reused, two[0].reused]) == [False, True]
    assert len(harness.sandbox.received.creates) == 1


async def test_a_collected_video_is_kept_reused_and_collected_twice_at_once(
    harness: Harness, ledger: FileLedger, tmp_path: Path
) -> None:
    """Videos are kept where the caller says; a re-run reuses the file; no clash."""
    [first] = await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    out = tmp_path / "output" / "freesora"
    one, two = await asyncio.gather(
        *(
            collect_video(harness.client, first.task_id, out, ledger=ledger, clock=harness.clock)
            for _ in range(2)
        )
    )
    assert one.path == two.path == out / f"freesora_{first.task_id}.mp4"
    assert one.path.read_bytes() == SAMPLE.read_bytes()
    assert [p.name for p in out.iterdir()] == [one.path.name]  # no temp file left behind
    downloads = len(harness.sandbox.received.downloads)
    again = await collect_video(harness.client, first.task_id, out, ledger=ledger)
    assert again.path == one.path
    assert len(harness.sandbox.received.downloads) == downloads  # the file was reused
    one.path.unlink()  # gone: collected again
    await collect_video(harness.client, first.task_id, out, ledger=ledger, clock=harness.clock)
    assert len(harness.sandbox.received.downloads) == downloads + 1


async def test_a_pasted_task_id_is_recorded_by_collecting_it(
    harness: Harness, ledger: FileLedger, tmp_path: Path
) -> None:
    """A task id from elsewhere, collected once, is in the ledger from then on."""
    [made] = await submit_tasks(harness.client, planned(), seed=1)  # no ledger: unrecorded
    await collect_video(harness.client, made.task_id, tmp_path, ledger=ledger, clock=harness.clock)
    found = await ledger.find_task(made.task_id)
    assert found is not None
    assert found.state is TakeState.SUCCEEDED


async def test_ledger_io_and_hashing_run_off_the_event_loop(
    harness: Harness, ledger: FileLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fsynced appends, journal reads and image hashing never run on the loop's thread."""
    loop_thread = threading.get_ident()
    seen: dict[str, set[int]] = {"fsync": set(), "hash": set(), "read": set()}
    real_fsync, real_hash = os.fsync, submit_module.request_hashes
    real_read = ledger.file._read_from_offset

    def fsync(fd: int) -> None:
        seen["fsync"].add(threading.get_ident())
        real_fsync(fd)

    def request_hashes(*args: object) -> tuple[str, str]:
        seen["hash"].add(threading.get_ident())
        return real_hash(*args)  # type: ignore[arg-type]

    def read() -> None:
        seen["read"].add(threading.get_ident())
        real_read()

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(submit_module, "request_hashes", request_hashes)
    monkeypatch.setattr(ledger.file, "_read_from_offset", read)
    await submit_tasks(harness.client, planned() + planned("two"), ledger=ledger, seed=1)
    await ledger.entries()
    for name, threads in seen.items():
        assert threads, f"{name} never ran"
        assert loop_thread not in threads, f"{name} ran on the event loop"
