"""Collecting a batch: every task awaited at once; one failure neither hides nor stops the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import Harness

from freesora.collect import VideoResult, collect_videos, failures_error
from freesora.errors import TaskFailedError, TasksFailedError, WaitCancelledError
from freesora.sandbox.tasks import FAIL_ON_REQUEST_REASON
from freesora.schemas import build_create_request


async def _create(harness: Harness, count: int) -> list[str]:
    request = build_create_request(model="sora-2-text-to-video", prompt="Four lanterns")
    return [await harness.client.create(request) for _ in range(count)]


def _options(harness: Harness, **extra: Any) -> Any:
    return lambda index: {"clock": harness.clock, **extra}


async def test_one_failed_task_of_four_leaves_three_videos_and_the_failure_with_its_refund(
    harness: Harness, tmp_path: Path
) -> None:
    harness.sandbox.fail_create(harness.sandbox.tasks_created + 3)
    task_ids = await _create(harness, 4)
    results = await collect_videos(
        harness.client, task_ids, tmp_path, options_for=_options(harness)
    )
    assert [type(r) for r in results] == [VideoResult, VideoResult, TaskFailedError, VideoResult]
    assert all(r.path.stat().st_size > 0 for r in results if isinstance(r, VideoResult))
    failed = results[2]
    assert isinstance(failed, TaskFailedError)
    assert failed.task_id == task_ids[2]
    assert failed.credits_refunded is True


async def test_the_batch_error_names_every_failed_task_its_reason_and_the_refund(
    harness: Harness, tmp_path: Path
) -> None:
    first = harness.sandbox.tasks_created
    harness.sandbox.fail_create(first + 1)
    harness.sandbox.fail_create(first + 4, refund=False)
    task_ids = await _create(harness, 4)
    results = await collect_videos(
        harness.client, task_ids, tmp_path, options_for=_options(harness)
    )
    error = failures_error(task_ids, results)
    assert isinstance(error, TasksFailedError)
    text = str(error)
    assert text.startswith("2 of 4 tasks gave no video")
    assert f"Task {task_ids[0]} failed: {FAIL_ON_REQUEST_REASON} (credits were refunded)" in text
    assert (
        f"Task {task_ids[3]} failed: {FAIL_ON_REQUEST_REASON} (credits were NOT refunded)" in text
    )
    assert "The other 2 were downloaded" in text
    assert [f.task_id for f in error.failures] == [task_ids[0], task_ids[3]]


async def test_a_single_failed_task_raises_its_own_error(harness: Harness, tmp_path: Path) -> None:
    harness.sandbox.fail_create(harness.sandbox.tasks_created + 1)
    task_ids = await _create(harness, 1)
    results = await collect_videos(
        harness.client, task_ids, tmp_path, options_for=_options(harness)
    )
    assert failures_error(task_ids, results) is results[0]


async def test_a_cancelled_wait_stops_every_wait_of_the_batch(
    harness: Harness, tmp_path: Path
) -> None:
    task_ids = await _create(harness, 3)
    checks = 0

    def cancel_on_the_fifth_check() -> bool:
        nonlocal checks
        checks += 1
        return checks >= 5

    with pytest.raises(WaitCancelledError):
        await collect_videos(
            harness.client,
            task_ids,
            tmp_path,
            options_for=_options(harness, should_cancel=cancel_on_the_fifth_check),
        )
    assert harness.sandbox.received.downloads == [], "no wait went on after the cancel"
