"""Waiting for tasks and downloading results, against the sandbox on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from harness import Harness

from freesora.collect import collect_video
from freesora.errors import (
    DownloadError,
    ServiceError,
    TaskCancelledError,
    TaskFailedError,
    TaskNotFoundError,
    TaskTimeoutError,
    UnexpectedResponseError,
    WaitCancelledError,
)
from freesora.sandbox import CANCEL_MARKER, FAIL_MARKER, FAIL_NO_REFUND_MARKER, SANDBOX_KEY
from freesora.schemas import TaskState, TaskStatus, build_create_request
from freesora.service.polling import wait_for_task

SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "assets" / "sample.mp4"


async def create(harness: Harness, prompt: str = "A paper boat") -> str:
    request = build_create_request(model="sora-2-text-to-video", prompt=prompt)
    return await harness.client.create(request)


async def wait(harness: Harness, task_id: str, **options: object) -> TaskStatus:
    options.setdefault("clock", harness.clock)
    return await wait_for_task(harness.client, task_id, **options)


async def test_a_task_is_awaited_through_pending_and_running_to_its_video(harness: Harness) -> None:
    task_id = await create(harness)
    seen: list[tuple[TaskState, float | None]] = []
    status = await wait(
        harness, task_id, on_progress=lambda s, _: seen.append((s.state, s.progress))
    )
    assert status.state is TaskState.SUCCEEDED
    assert status.video_url is not None
    assert status.video_url.endswith(f"{task_id}.mp4")
    states = [state for state, _ in seen]
    assert states[0] is TaskState.PENDING
    assert TaskState.RUNNING in states
    assert states[-1] is TaskState.SUCCEEDED
    progress = [p for state, p in seen if state is TaskState.RUNNING and p is not None]
    assert progress == sorted(progress)


async def test_polling_follows_the_upstream_schedule(harness: Harness) -> None:
    harness.sandbox.state.task_seconds = 60
    task_id = await create(harness)
    await wait(harness, task_id)
    polls = len(harness.sandbox.received.status_calls)
    assert 12 <= polls <= 16  # every 3 s for 30 s, then every 8 s until 60 s


async def test_a_failed_task_reports_the_services_reason_and_the_refund(harness: Harness) -> None:
    task_id = await create(harness, f"A boat {FAIL_MARKER}")
    before = harness.sandbox.credits(SANDBOX_KEY)
    with pytest.raises(TaskFailedError) as info:
        await wait(harness, task_id)
    assert info.value.task_id == task_id
    assert info.value.credits_refunded is True
    assert "Content moderation" in str(info.value)
    assert "credits were refunded" in str(info.value)
    assert harness.sandbox.credits(SANDBOX_KEY) > before


async def test_a_failed_task_without_refund_says_so(harness: Harness) -> None:
    task_id = await create(harness, f"A boat {FAIL_NO_REFUND_MARKER}")
    with pytest.raises(TaskFailedError, match="credits were NOT refunded"):
        await wait(harness, task_id)


async def test_a_task_cancelled_on_the_service_ends_the_wait(harness: Harness) -> None:
    task_id = await create(harness, f"A boat {CANCEL_MARKER}")
    with pytest.raises(TaskCancelledError, match=task_id):
        await wait(harness, task_id)


async def test_the_wait_ends_at_its_deadline_with_the_task_id_to_resume(harness: Harness) -> None:
    harness.sandbox.state.task_seconds = 3600
    task_id = await create(harness)
    with pytest.raises(TaskTimeoutError) as info:
        await wait(harness, task_id, timeout_s=60)
    assert info.value.task_id == task_id
    assert f"freesora wait {task_id}" in str(info.value)
    assert 60 <= harness.clock.now - 1_000 <= 61


async def test_cancelling_stops_the_wait_within_a_second_and_names_the_task(
    harness: Harness,
) -> None:
    harness.sandbox.state.task_seconds = 3600
    task_id = await create(harness)
    cancel_after = harness.clock.now + 40
    with pytest.raises(WaitCancelledError, match=task_id):
        await wait(harness, task_id, should_cancel=lambda: harness.clock.now >= cancel_after)
    assert harness.clock.now - cancel_after <= 1.0


async def test_cancelling_abandons_a_status_call_that_hangs(harness: Harness) -> None:
    task_id = await create(harness)
    harness.sandbox.faults.add("status", "delay", seconds=2)
    started = time.monotonic()
    cancel_at = started + 0.3
    with pytest.raises(WaitCancelledError):
        await wait_for_task(
            harness.client, task_id, should_cancel=lambda: time.monotonic() >= cancel_at
        )
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("http_status", {"status": 503}),
        ("html", {"status": 502}),
        ("malformed_json", {}),
        ("rate_limit", {"retry_after": 2}),
        ("reset_before", {}),
    ],
)
async def test_transient_errors_while_polling_are_ridden_out(
    harness: Harness, kind: str, params: dict[str, object]
) -> None:
    task_id = await create(harness)
    harness.sandbox.faults.add("status", kind, times=6, **params)
    status = await wait(harness, task_id)
    assert status.state is TaskState.SUCCEEDED


async def test_an_unknown_status_is_reported_not_awaited_forever(harness: Harness) -> None:
    task_id = await create(harness)
    harness.sandbox.faults.add("status", "unknown_status")
    with pytest.raises(UnexpectedResponseError, match="teleporting"):
        await wait(harness, task_id)


async def test_an_unknown_task_id_is_reported_at_once(harness: Harness) -> None:
    with pytest.raises(TaskNotFoundError, match="no-such-task"):
        await wait(harness, "no-such-task")
    assert len(harness.sandbox.received.status_calls) == 1


async def test_upstream_status_spellings_are_understood(harness: Harness) -> None:
    harness.sandbox.state.spelling = "upstream"
    task_id = await create(harness)
    status = await wait(harness, task_id)
    assert status.state is TaskState.SUCCEEDED
    assert status.raw_status == "success"
    assert status.video_url is not None


async def test_the_video_is_downloaded_without_our_authorization_header(
    harness: Harness, tmp_path: Path
) -> None:
    task_id = await create(harness)
    result = await collect_video(harness.client, task_id, tmp_path, clock=harness.clock)
    assert result.path == tmp_path / f"freesora_{task_id}.mp4"
    assert result.path.read_bytes() == SAMPLE.read_bytes()
    assert harness.sandbox.received.downloads
    assert not any(download.had_authorization for download in harness.sandbox.received.downloads)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"freesora_{task_id}.mp4"]


async def test_a_download_over_the_size_limit_is_refused(harness: Harness, tmp_path: Path) -> None:
    task_id = await create(harness)
    status = await wait(harness, task_id)
    assert status.video_url
    with pytest.raises(DownloadError, match="limit"):
        await harness.client.download(status.video_url, tmp_path / "x.mp4", max_bytes=1000)
    assert list(tmp_path.iterdir()) == []


async def test_a_download_cut_off_midway_leaves_no_partial_file(
    harness: Harness, tmp_path: Path
) -> None:
    task_id = await create(harness)
    status = await wait(harness, task_id)
    assert status.video_url
    harness.sandbox.faults.add("download", "truncated", times=10)
    with pytest.raises(DownloadError, match=task_id):
        await harness.client.download(status.video_url, tmp_path / "x.mp4", task_id=task_id)
    assert list(tmp_path.iterdir()) == []


async def test_a_download_that_fails_transiently_is_retried(
    harness: Harness, tmp_path: Path
) -> None:
    task_id = await create(harness)
    status = await wait(harness, task_id)
    harness.sandbox.faults.add("download", "http_status", status=503, times=2)
    assert status.video_url
    path = await harness.client.download(status.video_url, tmp_path / "x.mp4")
    assert path.read_bytes() == SAMPLE.read_bytes()


async def test_an_expired_result_url_says_so(harness: Harness, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="expired"):
        await harness.client.download(f"{harness.base_url}/files/nope.mp4", tmp_path / "x.mp4")


async def test_many_tasks_are_awaited_concurrently(harness: Harness) -> None:
    ids = [await create(harness) for _ in range(4)]
    statuses = await asyncio.gather(*(wait(harness, task_id) for task_id in ids))
    assert [s.task_id for s in statuses] == ids
    assert all(s.state is TaskState.SUCCEEDED for s in statuses)


async def test_a_final_service_error_while_polling_is_reported_not_awaited(
    harness: Harness,
) -> None:
    task_id = await create(harness)
    harness.sandbox.faults.add("status", "code", code=501, message="generation failed upstream")
    with pytest.raises(ServiceError, match="generation failed upstream"):
        await wait(harness, task_id)
    assert len(harness.sandbox.received.status_calls) == 1
