"""A sandbox task's life: prompt markers, its outcome, and its state at a given clock time.

Pure: time comes in as a number, so tests drive a fake clock instead of sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# Put one of these in a prompt (or a storyboard Scene) to choose how the task ends.
FAIL_MARKER = "[sandbox:fail]"
FAIL_NO_REFUND_MARKER = "[sandbox:fail-norefund]"
CANCEL_MARKER = "[sandbox:cancel]"

MODERATION_REASON = "Content moderation: the prompt was rejected (sandbox)"
GENERATION_REASON = "Generation failed (sandbox)"
CANCEL_REASON = "Cancelled (sandbox)"
# Share of the task's duration spent queued before it starts running.
PENDING_SHARE = 0.2

StatusSpelling = Literal["service", "upstream"]
# The provider's own words for the same states (API.md asks the pack to accept both).
UPSTREAM_SPELLING = {
    "pending": "waiting",
    "running": "generating",
    "succeeded": "success",
    "failed": "fail",
}


@dataclass(frozen=True)
class Outcome:
    """How a task ends, decided at creation from the markers in its text."""

    status: Literal["succeeded", "failed", "cancelled"]
    refund: bool
    failure_reason: str | None = None
    error_message: str | None = None


SUCCESS = Outcome("succeeded", refund=False)
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
FAIL_ON_REQUEST_REASON = "Generation failed: this task was told to fail (sandbox)"


def failed_on_request(refund: bool) -> Outcome:
    """The outcome of a task `SandboxState.fail_create` picked (no marker in its text)."""
    message = "The task failed as the test asked (sandbox.fail_create)" + (
        "" if refund else ", without refund"
    )
    return Outcome(
        "failed", refund=refund, failure_reason=FAIL_ON_REQUEST_REASON, error_message=message
    )


def outcome_for(body: dict[str, Any]) -> Outcome:
    """The outcome a create body asks for; the first marker found in the order below wins."""
    texts = [str(body.get("prompt", ""))]
    texts += [str(shot.get("Scene", "")) for shot in body.get("shots", [])]
    text = "\n".join(texts)
    if FAIL_NO_REFUND_MARKER in text:
        message = f"The task failed without refund ({FAIL_NO_REFUND_MARKER})"
        return Outcome(
            "failed", refund=False, failure_reason=GENERATION_REASON, error_message=message
        )
    if FAIL_MARKER in text:
        message = f"The prompt was rejected by content moderation ({FAIL_MARKER})"
        return Outcome(
            "failed", refund=True, failure_reason=MODERATION_REASON, error_message=message
        )
    if CANCEL_MARKER in text:
        # Cancelled work is refunded too: the user got nothing for it.
        message = f"The task was cancelled ({CANCEL_MARKER})"
        return Outcome(
            "cancelled", refund=True, failure_reason=CANCEL_REASON, error_message=message
        )
    return SUCCESS


@dataclass
class Task:
    """One created task; `refunded` flips once, when a refundable end is first observed."""

    task_id: str
    owner: str
    model: str
    cost: int
    started: float
    created_at: str
    outcome: Outcome
    refunded: bool = False


def phase(task: Task, now: float, task_seconds: float) -> tuple[str, int]:
    """(status, progress) of a task at clock time `now`, in the service's spelling."""
    fraction = 1.0 if task_seconds <= 0 else (now - task.started) / task_seconds
    if fraction >= 1.0:
        # A failed or cancelled task produced nothing, so it reports no progress.
        return task.outcome.status, 100 if task.outcome.status == "succeeded" else 0
    if fraction < PENDING_SHARE:
        return "pending", 0
    running = (fraction - PENDING_SHARE) / (1.0 - PENDING_SHARE)
    # The epsilon keeps exact fractions exact: 0.4 / 0.8 must read 50, not 49.
    return "running", min(99, max(0, int(running * 100 + 1e-9)))


def status_data(
    task: Task, now: float, task_seconds: float, file_url: str, spelling: StatusSpelling
) -> dict[str, Any]:
    """The `data` of a check-result answer for a task."""
    status, progress = phase(task, now, task_seconds)
    done = status == "succeeded"
    ended_badly = status in ("failed", "cancelled")
    data: dict[str, Any] = {
        "taskId": task.task_id,
        "status": status,
        "progress": progress,
        "result_urls": [file_url] if done else None,
        "failure_reason": task.outcome.failure_reason if ended_badly else None,
        "error_message": task.outcome.error_message if ended_badly else None,
        "credits_refunded": task.refunded,
        "model": task.model,
        "createdAt": task.created_at,
    }
    if spelling == "upstream":
        data["status"] = UPSTREAM_SPELLING.get(status, status)
        del data["result_urls"]
        data["result_url"] = file_url if done else None
    return data
