"""Answers in shapes the docs do not promise, served by the sandbox: read, never a traceback.

Object `result_urls`, string `progress` and object `failure_reason` are read, never raised as a
pydantic ValidationError; an answer too large, or a gzip bomb, is never read whole.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from harness import Harness

from freesora.collect import collect_video
from freesora.errors import CreateOutcomeUnknownError, TaskFailedError, UnexpectedResponseError
from freesora.ledger import FileLedger, TakeState
from freesora.sandbox import FAIL_MARKER
from freesora.schemas import TaskState, build_create_request
from freesora.service.polling import MAX_UNREADABLE_IN_A_ROW, wait_for_task

SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "assets" / "sample.mp4"
MB = 1024 * 1024


async def create(harness: Harness, prompt: str = "A paper boat") -> str:
    return await harness.client.create(
        build_create_request(model="sora-2-text-to-video", prompt=prompt)
    )


async def test_result_urls_given_as_objects_still_give_the_video(
    harness: Harness, tmp_path: Path
) -> None:
    task_id = await create(harness)
    harness.sandbox.faults.add("status", "object_result_urls", times=100)
    result = await collect_video(harness.client, task_id, tmp_path, clock=harness.clock)
    assert result.url.endswith(f"/files/{task_id}.mp4")
    assert result.path.read_bytes() == SAMPLE.read_bytes()


async def test_progress_given_as_a_percent_string_is_read_as_a_number(harness: Harness) -> None:
    task_id = await create(harness)
    harness.sandbox.faults.add("status", "string_progress", times=100)
    seen: list[float | None] = []
    await wait_for_task(
        harness.client,
        task_id,
        clock=harness.clock,
        on_progress=lambda s, _: seen.append(s.progress),
    )
    numbers = [p for p in seen if p is not None]
    assert numbers, "the progress strings were dropped instead of read"
    assert all(isinstance(p, float) and 0 <= p <= 100 for p in numbers)
    assert numbers == sorted(numbers)


async def test_a_failure_reason_given_as_an_object_is_shown_in_the_services_words(
    harness: Harness, tmp_path: Path
) -> None:
    task_id = await create(harness, f"A boat {FAIL_MARKER}")
    harness.sandbox.faults.add("status", "object_failure_reason", times=100)
    with pytest.raises(TaskFailedError) as caught:
        await collect_video(harness.client, task_id, tmp_path, clock=harness.clock)
    reason = caught.value.reason
    assert reason is not None
    assert "{" not in reason  # the message itself, not a dump of the object
    assert reason in str(caught.value)


async def test_a_huge_status_answer_is_not_read_past_one_megabyte(harness: Harness) -> None:
    task_id = await create(harness)
    harness.sandbox.faults.add("status", "huge_answer", size=50 * MB, times=100)
    with pytest.raises(UnexpectedResponseError) as caught:
        await harness.client.status(task_id)
    assert "larger than 1,024 KB" in str(caught.value)
    assert task_id in str(caught.value)
    assert f"freesora wait {task_id}" in str(caught.value)  # the resume hint


async def test_a_gzip_bomb_answer_costs_no_memory(harness: Harness) -> None:
    task_id = await create(harness)
    harness.sandbox.faults.add("status", "gzip_bomb", size=200 * MB, times=100)
    tracemalloc.start()
    try:
        with pytest.raises(UnexpectedResponseError, match="larger than"):
            await harness.client.status(task_id)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The 200 MB body is served compressed (~200 KB); reading it whole would cost 200 MB+.
    assert peak < 20 * MB, f"reading the bomb peaked at {peak / MB:.0f} MB"


async def test_a_small_gzip_answer_is_read_normally(harness: Harness) -> None:
    task_id = await create(harness)
    harness.sandbox.faults.add("status", "gzip_bomb", size=1000)
    status = await harness.client.status(task_id)
    assert status.task_id == task_id  # a padded but readable envelope: an empty status
    assert status.state is TaskState.UNKNOWN


@pytest.mark.parametrize("kind", ["huge_answer", "gzip_bomb"])
async def test_a_create_answer_too_large_to_read_is_an_unknown_outcome_recorded_as_such(
    harness: Harness, tmp_path: Path, kind: str
) -> None:
    from freesora.create.plan import PlannedTask
    from freesora.create.submit import submit_tasks

    ledger = FileLedger(tmp_path / "journal.jsonl")
    harness.sandbox.faults.add("create", kind, size=5 * MB)
    request = build_create_request(model="sora-2-text-to-video", prompt="A boat")
    with pytest.raises(CreateOutcomeUnknownError, match="larger than"):
        await submit_tasks(harness.client, [PlannedTask(request)], ledger=ledger, seed=1)
    assert len(harness.sandbox.received.creates) == 1  # never resent
    assert [entry.state for entry in await ledger.entries()] == [TakeState.UNKNOWN]


async def test_unreadable_answers_are_polled_through_but_not_forever(harness: Harness) -> None:
    task_id = await create(harness)
    harness.sandbox.faults.add("status", "malformed_json", times=1000)
    with pytest.raises(UnexpectedResponseError) as caught:
        await wait_for_task(harness.client, task_id, clock=harness.clock, timeout_s=3600)
    assert task_id in str(caught.value)
    assert f"freesora wait {task_id}" in str(caught.value)
    polls = len(harness.sandbox.received.status_calls)
    assert polls <= MAX_UNREADABLE_IN_A_ROW * 4  # the harness client tries each call 4 times
    assert harness.clock.now - 1_000.0 < 3600  # ended well before the deadline
