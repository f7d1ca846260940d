"""What the service answers, read tolerantly: unknown fields ignored, missing ones optional.

Both status spellings of API.md (the service's and upstream's) map to one `TaskState`.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_TOLERANT = ConfigDict(extra="ignore", populate_by_name=True)


class TaskState(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        return self in (TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED)


# Every spelling seen in the service's and upstream's docs, lower-cased.
_STATE_SPELLINGS = {
    "pending": TaskState.PENDING,
    "waiting": TaskState.PENDING,
    "queuing": TaskState.PENDING,
    "queued": TaskState.PENDING,
    "running": TaskState.RUNNING,
    "generating": TaskState.RUNNING,
    "processing": TaskState.RUNNING,
    "succeeded": TaskState.SUCCEEDED,
    "success": TaskState.SUCCEEDED,
    "failed": TaskState.FAILED,
    "fail": TaskState.FAILED,
    "cancelled": TaskState.CANCELLED,
    "canceled": TaskState.CANCELLED,
}


def parse_state(raw: object) -> TaskState:
    return _STATE_SPELLINGS.get(str(raw).strip().lower(), TaskState.UNKNOWN)


class Envelope(BaseModel):
    """`{"code": int, "message": str, "data": ...}`: every answer of the service."""

    model_config = _TOLERANT

    code: int
    message: str = ""
    data: Any = None

    @field_validator("message", mode="before")
    @classmethod
    def _message_as_text(cls, value: Any) -> str:
        return "" if value is None else str(value)


class CreatedTask(BaseModel):
    """`data` of a successful create: the task id (`taskId`, or a sibling's `id`)."""

    model_config = _TOLERANT

    task_id: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _pick_id(cls, data: Any) -> Any:
        if isinstance(data, dict):
            task_id = data.get("taskId") or data.get("task_id") or data.get("id")
            return {"task_id": str(task_id) if task_id not in (None, "") else None}
        return data


class TaskStatus(BaseModel):
    """`data` of check-result, normalized."""

    model_config = _TOLERANT

    task_id: str | None = None
    raw_status: str = ""
    state: TaskState = TaskState.UNKNOWN
    progress: float | None = None
    result_urls: tuple[str, ...] = ()
    failure_reason: str | None = None
    error_message: str | None = None
    credits_refunded: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        urls = data.get("result_urls") or data.get("resultUrls") or data.get("result_url")
        raw = data.get("status", "")
        return {
            "task_id": data.get("taskId") or data.get("task_id") or data.get("id"),
            "raw_status": "" if raw is None else str(raw),
            "state": parse_state(raw),
            "progress": _progress(data.get("progress")),
            "result_urls": (urls,) if isinstance(urls, str) else tuple(u for u in urls or () if u),
            "failure_reason": data.get("failure_reason") or data.get("failReason"),
            "error_message": data.get("error_message") or data.get("errorMessage"),
            "credits_refunded": data.get("credits_refunded"),
        }

    @property
    def reason(self) -> str | None:
        """Why the task failed, in the service's words."""
        return self.failure_reason or self.error_message

    @property
    def video_url(self) -> str | None:
        return self.result_urls[0] if self.result_urls else None


def _progress(value: Any) -> float | None:
    """0-100, or None when absent or unreadable (progress is advisory)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    if 0 < number <= 1 and not float(number).is_integer():
        number *= 100  # a fraction
    return max(0.0, min(100.0, number))
