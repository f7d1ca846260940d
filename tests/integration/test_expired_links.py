"""A result link the storage refuses (403/404/410) is not a failed task.

The service said the task succeeded, so its video exists: the pack asks check-result again for a
fresh URL (a bounded number of times, with backoff), and when none works the task stays in the
ledger as reusable, so a later run collects it again instead of paying for a new one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Harness
from ledger_view import oldest_first

from freesora.collect import URL_REFRESH_DELAYS_S, collect_video
from freesora.create.plan import PlannedTask
from freesora.create.submit import submit_tasks
from freesora.errors import DownloadError, TaskCancelledError
from freesora.ledger import FileLedger
from freesora.schemas import build_create_request

SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "assets" / "sample.mp4"


def planned() -> list[PlannedTask]:
    return [PlannedTask(build_create_request(model="sora-2-text-to-video", prompt="A boat"))]


@pytest.mark.parametrize("status", [403, 404, 410])
async def test_an_expired_link_is_replaced_by_a_fresh_one_from_check_result(
    harness: Harness, tmp_path: Path, status: int
) -> None:
    [task] = await submit_tasks(harness.client, planned(), seed=1)
    harness.sandbox.faults.add("download", "expired_url", status=status)
    result = await collect_video(harness.client, task.task_id, tmp_path, clock=harness.clock)
    assert result.path.read_bytes() == SAMPLE.read_bytes()
    assert result.url.endswith(f"{task.task_id}.mp4?v=1")  # the fresh link, not the dead one
    assert len(harness.sandbox.received.downloads) == 2
    assert len(harness.sandbox.received.creates) == 1


async def test_check_result_is_asked_again_after_a_backoff_each_time(
    harness: Harness, tmp_path: Path
) -> None:
    [task] = await submit_tasks(harness.client, planned(), seed=1)
    harness.clock.advance(60)  # already done: the wait's first answer names the link
    harness.sandbox.faults.add("download", "expired_url", times=2)
    result = await collect_video(harness.client, task.task_id, tmp_path, clock=harness.clock)
    assert len(harness.sandbox.received.status_calls) == 3  # the answer, then 2 refreshes
    assert len(harness.sandbox.received.downloads) == 3
    assert result.url.endswith("?v=2")
    assert sum(harness.clock.sleeps) == pytest.approx(sum(URL_REFRESH_DELAYS_S[:2]))


async def test_a_link_that_never_works_leaves_the_task_reusable_and_says_what_to_do(
    harness: Harness, tmp_path: Path
) -> None:
    journal = FileLedger(tmp_path / "tasks.jsonl")
    [task] = await submit_tasks(harness.client, planned(), ledger=journal, seed=1)
    refreshes = len(URL_REFRESH_DELAYS_S)
    harness.sandbox.faults.add("download", "expired_url", status=410, times=refreshes + 1)
    with pytest.raises(DownloadError) as caught:
        await collect_video(
            harness.client, task.task_id, tmp_path, ledger=journal, clock=harness.clock
        )
    # Not written off: the take keeps its task.
    assert [r.state.value for r in await oldest_first(journal)] == ["created"]
    message = str(caught.value)
    assert task.task_id in message
    assert "HTTP 410" in message
    assert f"freesora wait {task.task_id}" in message
    assert "Video Result" in message
    assert caught.value.status == 410
    assert len(harness.sandbox.received.downloads) == refreshes + 1  # bounded

    # A later run of the same take reuses the task (nothing paid) and now collects it.
    [again] = await submit_tasks(harness.client, planned(), ledger=journal, seed=1)
    assert again.reused
    assert again.task_id == task.task_id
    assert len(harness.sandbox.received.creates) == 1
    result = await collect_video(
        harness.client, again.task_id, tmp_path, ledger=journal, clock=harness.clock
    )
    assert result.path.read_bytes() == SAMPLE.read_bytes()
    assert [r.state.value for r in await oldest_first(journal)] == ["succeeded"]


async def test_a_task_the_refresh_finds_cancelled_is_recorded_as_such(
    harness: Harness, tmp_path: Path
) -> None:
    journal = FileLedger(tmp_path / "tasks.jsonl")
    [task] = await submit_tasks(harness.client, planned(), ledger=journal, seed=1)
    harness.clock.advance(60)
    harness.sandbox.faults.add("download", "expired_url")

    def cancelled_from_now_on(status: object, elapsed_s: float) -> None:
        harness.sandbox.faults.add("status", "unknown_status", value="cancelled")

    with pytest.raises(TaskCancelledError):
        await collect_video(
            harness.client,
            task.task_id,
            tmp_path,
            ledger=journal,
            clock=harness.clock,
            on_progress=cancelled_from_now_on,
        )
    assert [r.state.value for r in await oldest_first(journal)] == ["cancelled"]


async def test_the_sandboxs_expired_link_stays_dead_and_check_result_names_a_new_one(
    harness: Harness, tmp_path: Path
) -> None:
    [task] = await submit_tasks(harness.client, planned(), seed=1)
    harness.clock.advance(60)
    old = (await harness.client.status(task.task_id)).video_url
    assert old is not None
    harness.sandbox.faults.add("download", "expired_url", status=410)
    for _ in range(2):  # expired once means expired for good
        with pytest.raises(DownloadError) as caught:
            await harness.client.download(old, tmp_path / "v.mp4", task_id=task.task_id)
        assert caught.value.status == 410
    fresh = (await harness.client.status(task.task_id)).video_url
    assert fresh == old + "?v=1"
    path = await harness.client.download(fresh, tmp_path / "v.mp4", task_id=task.task_id)
    assert path.read_bytes() == SAMPLE.read_bytes()
