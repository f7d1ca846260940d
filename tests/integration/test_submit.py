"""Never pay twice: the journal decides when a request is reused, against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Harness
from ledger_view import oldest_first

from freesora.collect import collect_video
from freesora.create.plan import PlannedTask
from freesora.create.submit import submit_tasks
from freesora.errors import CreateOutcomeUnknownError, InsufficientCreditsError, TaskFailedError
from freesora.ledger import FileLedger
from freesora.sandbox import FAIL_MARKER, SANDBOX_KEY
from freesora.schemas import build_create_request


def planned(prompt: str = "A paper boat") -> list[PlannedTask]:
    return [PlannedTask(build_create_request(model="sora-2-text-to-video", prompt=prompt))]


@pytest.fixture
def journal(tmp_path: Path) -> FileLedger:
    return FileLedger(tmp_path / "tasks.jsonl")


async def test_the_same_request_and_seed_reuses_the_journaled_task(
    harness: Harness, journal: FileLedger
) -> None:
    [first] = await submit_tasks(harness.client, planned(), ledger=journal, seed=5)
    [again] = await submit_tasks(harness.client, planned(), ledger=journal, seed=5)
    assert not first.reused
    assert again.reused
    assert again.task_id == first.task_id
    assert again.describe() == f"reused task {first.task_id} (no credits spent)"
    assert len(harness.sandbox.received.creates) == 1


async def test_a_new_seed_is_a_new_paid_take(harness: Harness, journal: FileLedger) -> None:
    [one] = await submit_tasks(harness.client, planned(), ledger=journal, seed=5)
    [two] = await submit_tasks(harness.client, planned(), ledger=journal, seed=6)
    assert one.task_id != two.task_id
    assert len(harness.sandbox.tasks) == 2


async def test_a_journal_survives_a_restart_of_the_process(
    harness: Harness, journal: FileLedger
) -> None:
    [first] = await submit_tasks(harness.client, planned(), ledger=journal, seed=1)
    reopened = FileLedger(journal.path)  # what ComfyUI sees after a restart
    [again] = await submit_tasks(harness.client, planned(), ledger=reopened, seed=1)
    assert again.task_id == first.task_id
    assert again.reused


async def test_a_failed_task_is_not_reused(
    harness: Harness, journal: FileLedger, tmp_path: Path
) -> None:
    request = planned(f"A boat {FAIL_MARKER}")
    [first] = await submit_tasks(harness.client, request, ledger=journal, seed=1)
    with pytest.raises(TaskFailedError):
        await collect_video(
            harness.client, first.task_id, tmp_path, ledger=journal, clock=harness.clock
        )
    [again] = await submit_tasks(harness.client, request, ledger=journal, seed=1)
    assert not again.reused
    assert again.task_id != first.task_id
    assert [r.state.value for r in await oldest_first(journal)] == ["failed", "created"]


async def test_a_collected_task_records_its_file_and_stays_reusable(
    harness: Harness, journal: FileLedger, tmp_path: Path
) -> None:
    [first] = await submit_tasks(harness.client, planned(), ledger=journal, seed=1)
    result = await collect_video(
        harness.client, first.task_id, tmp_path, ledger=journal, clock=harness.clock
    )
    [record] = await oldest_first(journal)
    assert (record.state.value, record.file) == ("succeeded", str(result.path))
    [again] = await submit_tasks(harness.client, planned(), ledger=journal, seed=1)
    assert again.reused


async def test_an_unknown_outcome_is_journaled_and_blocks_a_blind_resend(
    harness: Harness, journal: FileLedger
) -> None:
    harness.sandbox.faults.add("create", "reset_after")
    with pytest.raises(CreateOutcomeUnknownError) as first:
        await submit_tasks(harness.client, planned(), ledger=journal, seed=9)
    assert str(journal.path) in str(first.value)
    [record] = await oldest_first(journal)
    assert record.state.value == "unknown"
    with pytest.raises(CreateOutcomeUnknownError, match="not sent again"):
        await submit_tasks(harness.client, planned(), ledger=journal, seed=9)
    assert len(harness.sandbox.received.creates) == 1
    [other] = await submit_tasks(harness.client, planned(), ledger=journal, seed=10)
    assert not other.reused
    assert len(harness.sandbox.tasks) == 2


async def test_a_refused_create_is_journaled_as_refused_and_may_be_sent_again(
    harness: Harness, journal: FileLedger
) -> None:
    harness.sandbox.state.ledger.balances[SANDBOX_KEY] = 1
    with pytest.raises(InsufficientCreditsError):
        await submit_tasks(harness.client, planned(), ledger=journal, seed=1)
    [record] = await oldest_first(journal)
    assert (record.state.value, record.task_id) == ("refused", None)
    harness.sandbox.state.ledger.balances[SANDBOX_KEY] = 1000
    [again] = await submit_tasks(harness.client, planned(), ledger=journal, seed=1)
    assert not again.reused
    assert len(harness.sandbox.tasks) == 1


async def test_a_batch_that_fails_halfway_names_the_tasks_it_created(
    harness: Harness, journal: FileLedger
) -> None:
    harness.sandbox.faults.add("create", "code", code=402, message="Insufficient credits")
    batch = planned("one") + planned("two") + planned("three")
    client = harness.client_with(max_concurrent_creates=1)
    with pytest.raises(InsufficientCreditsError) as info:
        await submit_tasks(client, batch, ledger=journal, seed=1)
    created = [r.task_id for r in await oldest_first(journal) if r.task_id]
    assert len(created) == 2
    for task_id in created:
        assert task_id in str(info.value)
    assert "1 of 3 tasks could not be created" in str(info.value)


async def test_the_journal_never_holds_the_key_or_the_image(
    harness: Harness, journal: FileLedger
) -> None:
    import numpy as np

    from freesora.create.plan import plan_image_tasks

    image = np.full((1, 90, 160, 3), 0.5, dtype=np.float32)
    batch = plan_image_tasks(
        image, fit="crop", model="sora-2-image-to-video", prompt="Move", aspect_ratio="auto"
    )
    await submit_tasks(harness.client, batch, ledger=journal, seed=1)
    text = journal.path.read_text(encoding="utf-8")
    assert SANDBOX_KEY not in text
    assert "base64" not in text


async def test_in_a_batch_a_possible_charge_is_reported_before_a_plain_refusal(
    harness: Harness, journal: FileLedger
) -> None:
    harness.sandbox.faults.add("create", "code", code=402, message="Insufficient credits")
    harness.sandbox.faults.add("create", "reset_after")
    batch = planned("one") + planned("two") + planned("three")
    client = harness.client_with(max_concurrent_creates=1)
    with pytest.raises(CreateOutcomeUnknownError) as info:
        await submit_tasks(client, batch, ledger=journal, seed=1)
    assert "may exist and may have been charged" in str(info.value)
    assert "2 of 3 tasks could not be created" in str(info.value)
    assert str(journal.path) in str(info.value)
    states = sorted(r.state.value for r in await oldest_first(journal))
    assert states == ["created", "refused", "unknown"]
