"""What the service answers, read tolerantly: unknown fields ignored, missing ones optional.

Both status spellings of API.md (the service's and upstream's) map to one `TaskState`. Ids and
progress may come as numbers or strings (`"50%"`), reasons as strings or objects, result URLs as
strings or `{"url": ...}` objects: each is normalized here, so nothing downstream sees the shapes.
"""

from __future__ import annotations

import json
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
        return as_text(value) or ""


class CreatedTask(BaseModel):
    """`data` of a successful create: the task id (`taskId`, or a sibling's `id`)."""

    model_config = _TOLERANT

    task_id: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _pick_id(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {"task_id": _first_id(data)}
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
    model: str | None = None  # the task's model, where the service says it

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        urls = data.get("result_urls") or data.get("resultUrls") or data.get("result_url")
        raw = as_text(data.get("status")) or ""
        return {
            "task_id": _first_id(data),
            "raw_status": raw,
            "state": parse_state(raw),
            "progress": _progress(data.get("progress")),
            "result_urls": _urls(urls),
            "failure_reason": as_text(data.get("failure_reason") or data.get("failReason")),
            "error_message": as_text(data.get("error_message") or data.get("errorMessage")),
            "credits_refunded": _flag(data.get("credits_refunded")),
            "model": as_text(data.get("model")),
        }

    @property
    def reason(self) -> str | None:
        """Why the task failed, in the service's words."""
        return self.failure_reason or self.error_message

    @property
    def video_url(self) -> str | None:
        return self.result_urls[0] if self.result_urls else None


_TEXT_KEYS = ("message", "msg", "reason", "detail", "error", "description", "text", "code")
_URL_KEYS = ("url", "video_url", "videoUrl", "uri", "href", "src")
MAX_TEXT_CHARS = 2000  # a reason is shown to the user, not a data dump


def as_text(value: Any, depth: int = 0) -> str | None:
    """A message in words: strings as they are, objects by their `message`-like field."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, str):
        return value.strip()[:MAX_TEXT_CHARS] or None
    if isinstance(value, int | float):
        return str(value)
    if depth < 3 and isinstance(value, dict):
        for key in _TEXT_KEYS:
            found = as_text(value.get(key), depth + 1)
            if found:
                return found
    if depth < 3 and isinstance(value, list):
        parts = [part for item in value[:10] if (part := as_text(item, depth + 1))]
        return "; ".join(parts)[:MAX_TEXT_CHARS] or None
    try:
        return json.dumps(value, default=str)[:MAX_TEXT_CHARS] or None
    except (TypeError, ValueError, RecursionError):
        return "an unreadable value"


def _as_id(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return None


def _first_id(data: dict[str, Any]) -> str | None:
    for key in ("taskId", "task_id", "id"):
        found = _as_id(data.get(key))
        if found:
            return found
    return None


def _url(value: Any) -> str | None:
    if isinstance(value, dict):
        value = next((value[k] for k in _URL_KEYS if isinstance(value.get(k), str)), None)
    if not isinstance(value, str):
        return None
    url = value.strip()
    return url if url.lower().startswith(("https://", "http://")) else None


def _urls(value: Any) -> tuple[str, ...]:
    """Result URLs as strings, from a string, a `{"url": ...}` object or a list of either."""
    items = value if isinstance(value, list) else [value]
    return tuple(url for item in items if (url := _url(item)))


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(
            value.strip().lower()
        )
    return None


def _progress(value: Any) -> float | None:
    """0-100, or None when absent or unreadable (progress is advisory): 50, "50", "50%"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip().rstrip("%").strip()
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number):
        return None
    if 0 < number <= 1 and not float(number).is_integer():
        number *= 100  # a fraction
    return max(0.0, min(100.0, number))
