"""Waiting for a task: a job is not a request. Its own states, deadline and errors live here.

Polls check-result on upstream's schedule, stays responsive to cancellation (about every
`CANCEL_CHECK_S`), rides out transient failures, and always ends: done, failed, cancelled,
cancelled by the user, or out of time with the task id to resume.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from ..errors import (
    SAID_MAX_CHARS,
    FreeSoraError,
    ServiceError,
    TaskCancelledError,
    TaskFailedError,
    TaskNotFoundError,
    TaskTimeoutError,
    TransportError,
    UnexpectedResponseError,
    WaitCancelledError,
    shortened,
)
from ..schemas import TaskState, TaskStatus
from ..schemas.models import WAIT_TIMEOUT_DEFAULT_S
from .retry import may_resend, outcome_of_error

logger = logging.getLogger("freesora.polling")
CANCEL_CHECK_S = 0.5
# Unreadable answers are polled through (a proxy's glitch), but not forever: this many in a row
# means the service now answers in a shape the pack cannot read.
MAX_UNREADABLE_IN_A_ROW = 5

_REFUND_TEXT = {
    True: "credits were refunded",
    False: "credits were NOT refunded",
    None: "the service did not say whether credits were refunded",
}

ProgressCallback = Callable[[TaskStatus, float], None]
ShouldCancel = Callable[[], bool]
T = TypeVar("T")


class StatusSource(Protocol):
    """What a wait needs of a client: one check-result call (`FreeSoraClient` is one)."""

    async def status(self, task_id: str) -> TaskStatus: ...

    async def sleep(self, seconds: float) -> None:
        """The client's clock: injected in tests, so waits need no real sleeping."""


def poll_interval(elapsed_s: float) -> float:
    """Upstream's advice: every 2-3 s for 30 s, then 5-10 s, then 15-30 s."""
    if elapsed_s < 30:
        return 3.0
    if elapsed_s < 180:
        return 8.0
    return 15.0


def resume_hint(task_id: str, flags: str = "") -> str:
    """How to pick the task up later; `flags` select the journal its end goes to."""
    return (
        f"Task {task_id} may still finish: paste its id into the task_id of a Sora 2 Video "
        f"Result node later, or run `freesora wait {task_id}{flags}` (no new credits are spent)."
    )


async def wait_for_task(
    client: StatusSource,
    task_id: str,
    *,
    timeout_s: float = WAIT_TIMEOUT_DEFAULT_S,
    interval_s: float | None = None,
    on_progress: ProgressCallback | None = None,
    should_cancel: ShouldCancel | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    clock: Callable[[], float] = time.monotonic,
    first_pause_s: float = 0.0,
    resume_flags: str = "",
) -> TaskStatus:
    """Poll until the task succeeds (returned) or ends otherwise (raised).

    `first_pause_s` waits (stoppable, within the deadline) before the first call: a backoff.
    `resume_flags` (" --journal PATH") complete the `freesora wait` a message names.
    """
    cancel = should_cancel or (lambda: False)
    waiter = _Waiter(task_id, timeout_s, cancel, sleep or client.sleep, clock)
    waiter.resume_flags = resume_flags
    await waiter.pause(first_pause_s)
    while True:
        status = await waiter.poll(client)
        if status is not None:
            if on_progress is not None:
                on_progress(status, waiter.elapsed())
            if _finished(status, task_id, resume_flags):
                return status
        await waiter.pause(
            interval_s if interval_s is not None else poll_interval(waiter.elapsed())
        )


async def ask_known(
    client: StatusSource,
    task_id: str,
    *,
    timeout_s: float = WAIT_TIMEOUT_DEFAULT_S,
    should_cancel: ShouldCancel | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> TaskStatus:
    """Whether the service knows `task_id`, asked once (the client's own retries included)
    before the pack records an id it was given: its status, or TaskNotFoundError, or when it
    could not be asked (network, 5xx, an unreadable answer) a TransportError that says nothing
    was recorded and to try again. Cancel reaches it as it reaches a wait."""
    waiter = _Waiter(task_id, timeout_s, should_cancel or (lambda: False), client.sleep, clock)
    try:
        return await waiter.cancellable(client.status(task_id))
    except TaskNotFoundError as exc:  # a typo, most often: say that it left no trace
        raise TaskNotFoundError(
            f"{exc.message} Nothing was recorded.",
            status=exc.status,
            code=exc.code,
            task_id=task_id,
        ) from None
    except (TransportError, UnexpectedResponseError, ServiceError) as exc:
        if not _transient(exc):
            raise  # the service answered (a refused key, maintenance): nothing was recorded
        logger.info("task %s: the service could not be asked: %s", task_id, exc)
        raise not_asked(task_id, exc) from None


def not_asked(task_id: str, exc: FreeSoraError) -> TransportError:
    """The service could not say whether it knows `task_id`: nothing was recorded."""
    if isinstance(exc, ServiceError):
        what = f"it answered HTTP {exc.status}" + (f", code {exc.code}" if exc.code else "")
    elif isinstance(exc, UnexpectedResponseError):
        what = "its answer could not be read"
    else:
        what = "the network failed"
    return TransportError(
        f"The service could not be asked about task {task_id} ({what}). Nothing was recorded; "
        "try again when it answers.",
        status=exc.status,
        task_id=task_id,
    )


def _finished(status: TaskStatus, task_id: str, flags: str = "") -> bool:
    """True when done; raises for every other end. A URL alone is not done: only `succeeded`."""
    if status.state is TaskState.SUCCEEDED:
        return status.video_url is not None  # no URL yet: poll again (bounded by the deadline)
    if status.state is TaskState.FAILED:
        refund = _REFUND_TEXT[status.credits_refunded]
        reason = shortened(status.reason or "no reason given", SAID_MAX_CHARS)
        raise TaskFailedError(
            f"Task {task_id} failed: {reason} ({refund}).",
            task_id=task_id,
            reason=status.reason,
            credits_refunded=status.credits_refunded,
        )
    if status.state is TaskState.CANCELLED:
        refund = _REFUND_TEXT[status.credits_refunded]
        raise TaskCancelledError(
            f"Task {task_id} was cancelled on the service ({refund}).",
            task_id=task_id,
            credits_refunded=status.credits_refunded,
        )
    if status.state is TaskState.UNKNOWN:
        raise UnexpectedResponseError(
            f"The service reported status {shortened(repr(status.raw_status), 80)} for task "
            f"{task_id}, which this "
            f"pack does not know. {resume_hint(task_id, flags)}",
            task_id=task_id,
        )
    return False


def _transient(exc: Exception) -> bool:
    """Failures worth polling through: network, unreadable answers, and what the retry rules
    ask again (408, 429, 5xx). 501 "generation failed" and 505 are answers, not glitches."""
    if isinstance(exc, TransportError | UnexpectedResponseError):
        return True
    if not isinstance(exc, ServiceError):
        return False
    return may_resend(outcome_of_error(exc), idempotent=True)


class _Waiter:
    """The deadline, cancellation and transient-error memory of one wait."""

    def __init__(
        self,
        task_id: str,
        timeout_s: float,
        should_cancel: ShouldCancel,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
    ) -> None:
        self.task_id = task_id
        self.timeout_s = timeout_s
        self.should_cancel = should_cancel
        self.sleep = sleep
        self.clock = clock
        self.start = clock()
        self.last_error: str | None = None
        self.unreadable = 0
        self.resume_flags = ""

    def elapsed(self) -> float:
        return self.clock() - self.start

    async def poll(self, client: StatusSource) -> TaskStatus | None:
        """One status call; a transient failure is remembered and the wait goes on."""
        self.check()
        try:
            status = await self.cancellable(client.status(self.task_id))
        except TaskNotFoundError:
            raise
        except (TransportError, UnexpectedResponseError, ServiceError) as exc:
            if not _transient(exc):
                raise  # 401 and friends: waiting longer will not help
            self.unreadable = self.unreadable + 1 if isinstance(exc, UnexpectedResponseError) else 0
            if self.unreadable >= MAX_UNREADABLE_IN_A_ROW:
                raise
            self.last_error = exc.what or shortened(exc.message, SAID_MAX_CHARS)
            return None
        self.unreadable = 0
        return status

    async def pause(self, seconds: float) -> None:
        """Sleep `seconds` in short slices, checking cancellation and the deadline."""
        until = self.clock() + seconds
        while (left := until - self.clock()) > 0:
            self.check()
            await self.sleep(min(CANCEL_CHECK_S, left))

    def check(self) -> None:
        if self.should_cancel():
            raise WaitCancelledError(
                f"Stopped waiting for task {self.task_id}. "
                f"{resume_hint(self.task_id, self.resume_flags)}",
                task_id=self.task_id,
            )
        if self.elapsed() >= self.timeout_s:
            last = f" Last problem: {self.last_error.rstrip('.')}." if self.last_error else ""
            raise TaskTimeoutError(
                f"Task {self.task_id} did not finish within {self.timeout_s:g} s. "
                f"{resume_hint(self.task_id, self.resume_flags)}{last}",
                task_id=self.task_id,
            )

    async def cancellable(self, call: Awaitable[T]) -> T:
        """Run a request, abandoning it within CANCEL_CHECK_S when the user cancels."""
        task = asyncio.ensure_future(call)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=CANCEL_CHECK_S)
                if done:
                    return task.result()
                self.check()
        finally:
            if not task.done():
                task.cancel()
