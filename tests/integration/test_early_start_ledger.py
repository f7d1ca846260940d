"""What a queued prompt's early start may claim, against the sandbox: ComfyUI keeps a node's
output across prompts while its inputs are unchanged, so a take the ledger already knows of is
left to the node's own run (which may never come); only takes never claimed, or reusable ones,
start when queued."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Harness

from freesora.collect import collect_video
from freesora.create.plan import NodeTakes, PlannedTask
from freesora.create.queued import new_takes_price
from freesora.create.submit import submit_tasks
from freesora.errors import TaskFailedError
from freesora.ledger import FileLedger
from freesora.sandbox import FAIL_MARKER
from freesora.schemas import build_create_request
from freesora.schemas.pricing import merged_prices, price_of


def planned(prompt: str, count: int = 1) -> list[PlannedTask]:
    request = build_create_request(model="sora-2-text-to-video", prompt=prompt)
    return [PlannedTask(request) for _ in range(count)]


@pytest.fixture
def journal(tmp_path: Path) -> FileLedger:
    return FileLedger(tmp_path / "tasks.jsonl")


async def _price(harness: Harness, journal: FileLedger, tasks: list[PlannedTask]) -> float:
    settings = harness.client.settings
    account = await journal.account(settings.profile, settings.require_key().reveal())
    run = NodeTakes(profile=None, planned=tasks, seed=1)
    return await new_takes_price(journal, account, settings.base_url, run, merged_prices({}))


async def test_a_take_whose_task_failed_is_not_created_again_when_queued(
    harness: Harness, journal: FileLedger, tmp_path: Path
) -> None:
    request = planned(f"A boat {FAIL_MARKER}")
    [first] = await submit_tasks(harness.client, request, ledger=journal, seed=1)
    with pytest.raises(TaskFailedError):
        await collect_video(
            harness.client, first.task_id, tmp_path, ledger=journal, clock=harness.clock
        )
    # The node that created it may be served from ComfyUI's cache: only its run creates anew.
    assert (
        await submit_tasks(
            harness.client, request, ledger=journal, seed=1, started_when_queued=True
        )
        == []
    )
    assert len(harness.sandbox.received.creates) == 1
    assert await _price(harness, journal, request) == 0.0  # nothing to fit in the budget
    [again] = await submit_tasks(harness.client, request, ledger=journal, seed=1)
    assert again.task_id != first.task_id  # the node's own run still creates it


async def test_a_batch_with_a_slot_never_claimed_beside_a_known_one_waits_for_its_run(
    harness: Harness, journal: FileLedger
) -> None:
    # A batch whose second slot the daily budget refused: only the first slot left a record.
    await submit_tasks(harness.client, planned("A fox"), ledger=journal, seed=1)
    both = planned("A fox", 2)
    assert (
        await submit_tasks(harness.client, both, ledger=journal, seed=1, started_when_queued=True)
        == []
    )
    assert len(harness.sandbox.received.creates) == 1
    assert await _price(harness, journal, both) == 0.0


async def test_takes_never_claimed_start_when_queued_and_reusable_ones_are_reused(
    harness: Harness, journal: FileLedger
) -> None:
    tasks = planned("A kite", 2)
    estimate = 2 * price_of(tasks[0].request.to_payload(), merged_prices({}))
    assert await _price(harness, journal, tasks) == estimate
    first = await submit_tasks(
        harness.client, tasks, ledger=journal, seed=1, started_when_queued=True
    )
    assert [s.started_when_queued for s in first] == [True, True]
    again = await submit_tasks(
        harness.client, tasks, ledger=journal, seed=1, started_when_queued=True
    )
    assert [s.task_id for s in again] == [s.task_id for s in first]
    assert all(s.reused for s in again)
    assert len(harness.sandbox.received.creates) == 2
    assert await _price(harness, journal, tasks) == 0.0
