"""Answers are read tolerantly: both status spellings, both URL fields, odd progress values."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from freesora.schemas import CreatedTask, TaskState, TaskStatus


@pytest.mark.parametrize(
    ("data", "task_id"),
    [({"taskId": "abc"}, "abc"), ({"id": "xyz", "extra": 1}, "xyz"), ({"taskId": 123}, "123")],
)
def test_the_created_task_id_is_read_from_task_id_or_id(data: dict[str, Any], task_id: str) -> None:
    assert CreatedTask.model_validate(data).task_id == task_id


@pytest.mark.parametrize("data", [{}, {"taskId": ""}, {"taskId": None}, None, "abc"])
def test_a_create_answer_without_a_task_id_is_not_accepted(data: Any) -> None:
    with pytest.raises(ValidationError):
        CreatedTask.model_validate(data)


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("pending", TaskState.PENDING),
        ("waiting", TaskState.PENDING),
        ("queuing", TaskState.PENDING),
        ("running", TaskState.RUNNING),
        ("generating", TaskState.RUNNING),
        ("succeeded", TaskState.SUCCEEDED),
        ("SUCCESS", TaskState.SUCCEEDED),
        ("failed", TaskState.FAILED),
        ("fail", TaskState.FAILED),
        ("cancelled", TaskState.CANCELLED),
        ("teleporting", TaskState.UNKNOWN),
        (None, TaskState.UNKNOWN),
    ],
)
def test_both_status_spellings_map_to_one_state(raw: Any, state: TaskState) -> None:
    assert TaskStatus.model_validate({"status": raw}).state is state


def test_only_succeeded_failed_and_cancelled_are_terminal() -> None:
    terminal = {state for state in TaskState if state.is_terminal}
    assert terminal == {TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED}


def test_result_urls_fall_back_to_a_single_result_url() -> None:
    listed = TaskStatus.model_validate({"status": "succeeded", "result_urls": ["https://a/1.mp4"]})
    single = TaskStatus.model_validate({"status": "success", "result_url": "https://a/2.mp4"})
    assert listed.video_url == "https://a/1.mp4"
    assert single.video_url == "https://a/2.mp4"
    assert TaskStatus.model_validate({"status": "running"}).video_url is None


def test_failure_reason_refund_and_unknown_fields_are_read_tolerantly() -> None:
    status = TaskStatus.model_validate(
        {
            "taskId": "t1",
            "status": "failed",
            "failure_reason": "Content moderation",
            "credits_refunded": True,
            "brand_new_field": {"x": 1},
        }
    )
    assert (status.task_id, status.reason, status.credits_refunded) == (
        "t1",
        "Content moderation",
        True,
    )
    assert TaskStatus.model_validate({"status": "fail", "error_message": "boom"}).reason == "boom"


@pytest.mark.parametrize(
    ("given", "read"),
    [(45, 45.0), ("70", 70.0), (0.5, 50.0), (150, 100.0), (-3, 0.0), ("n/a", None), (None, None)],
)
def test_progress_is_advisory_and_clamped_to_0_100(given: Any, read: float | None) -> None:
    assert TaskStatus.model_validate({"status": "running", "progress": given}).progress == read
