"""The one mapping from how a task ended on the service to the state its take is recorded in.

Two ways to learn it: a status the service gave (admission asking about an account's oldest
tasks) and an error a wait raised (collecting a video). Both give the same state and the same
words for one situation. A download's failure never ends a task: the video exists (the service
said so) and a later run may fetch it; an expired link is refreshed, never a reason to pay for
a new task.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ServiceError, TaskCancelledError, TaskFailedError
from ..schemas import TaskState, TaskStatus
from .contract import TakeState

CANCELLED_ON_SERVICE = "cancelled on the service"
GENERATION_FAILED_CODES = frozenset({501})  # "generation failed": the task is over, not busy

_TAKE_STATE = {
    TaskState.SUCCEEDED: TakeState.SUCCEEDED,
    TaskState.FAILED: TakeState.FAILED,
    TaskState.CANCELLED: TakeState.CANCELLED,
}


@dataclass(frozen=True)
class Ending:
    """How a task ended, as its take records it: the state, why, a success's video link, and
    `credits_refunded` as the service said it (None: it did not say, and the daily budget
    counts the credits as spent)."""

    state: TakeState
    reason: str | None = None
    url: str | None = None
    credits_refunded: bool | None = None


def ending_of_status(status: TaskStatus) -> Ending | None:
    """The end a status reports (the failure's own reason), or None while the task goes on."""
    state = _TAKE_STATE.get(status.state)
    if state is None:
        return None
    if state is TakeState.SUCCEEDED:
        return Ending(state, status.reason, status.video_url)
    reason = status.reason or (CANCELLED_ON_SERVICE if state is TakeState.CANCELLED else None)
    return Ending(state, reason, credits_refunded=status.credits_refunded)


def ending_of_error(exc: BaseException) -> Ending | None:
    """The end a wait's error means, or None if the task may go on (or its video be fetched)."""
    if isinstance(exc, TaskFailedError):
        return Ending(
            TakeState.FAILED, exc.reason or str(exc), credits_refunded=exc.credits_refunded
        )
    if isinstance(exc, TaskCancelledError):
        return Ending(
            TakeState.CANCELLED, CANCELLED_ON_SERVICE, credits_refunded=exc.credits_refunded
        )
    if isinstance(exc, ServiceError) and exc.code in GENERATION_FAILED_CODES:
        # An answer, not a status: nothing said of the credits (a re-check may learn it).
        return Ending(TakeState.FAILED, f"generation failed (code {exc.code}): {exc}")
    return None
