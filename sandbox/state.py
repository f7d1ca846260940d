"""The sandbox service's memory and rules: accounts and credits, tasks, and what it received.

No HTTP here: handlers in `routes.py` translate requests into these calls and replies into
envelopes, so billing and refunds can be reasoned about without a server.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from .limits import LimitCounters, SandboxLimits
from .pricing import credit_cost
from .tasks import (
    TERMINAL,
    Outcome,
    StatusSpelling,
    Task,
    failed_on_request,
    outcome_for,
    phase,
    status_data,
)
from .validation import validate_create

SANDBOX_KEY = "sk-sandbox"
DEFAULT_CREDITS = 100_000  # room for the dearest clips (a Pro 15 s high is ~500)


class _NotJson:
    """Stands for a request body that did not parse as JSON (distinct from a JSON `null`)."""

    def __repr__(self) -> str:
        return "NOT_JSON"


NOT_JSON: Any = _NotJson()


@dataclass(frozen=True)
class Reply:
    """A service answer before it becomes an envelope; `code` 0 is success.

    A 429 travels as HTTP 429 with `retry_after_s` as its Retry-After header, as upstream does.
    """

    code: int
    message: str
    data: Any = None
    retry_after_s: float | None = None


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the sandbox saw it; the Authorization value itself is never kept."""

    path: str
    body: Any
    raw: bytes
    headers: dict[str, str]
    had_authorization: bool


@dataclass
class Received:
    """Everything the sandbox was sent, per endpoint, in arrival order (for test assertions)."""

    creates: list[ReceivedRequest] = field(default_factory=list)
    status_calls: list[ReceivedRequest] = field(default_factory=list)
    downloads: list[ReceivedRequest] = field(default_factory=list)
    # Create requests being handled right now, and the most ever handled at once: lets load
    # tests check the client's concurrency limit from the server's side (kept by routes.py).
    creates_in_flight: int = 0
    max_creates_in_flight: int = 0


class CreditLedger:
    """Credit balances per key; keys starting with `open_prefix` open an account on first use."""

    def __init__(
        self, keys: Mapping[str, int] | None, open_prefix: str | None, default_credits: int
    ) -> None:
        self.balances = dict({SANDBOX_KEY: default_credits} if keys is None else keys)
        self._open_prefix = open_prefix
        self._default_credits = default_credits

    def account(self, authorization: str | None) -> str | None:
        """The key of a valid `Bearer <key>` header, or None (the caller answers 401)."""
        scheme, _, key = (authorization or "").strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return None
        if key not in self.balances and self._open_prefix and key.startswith(self._open_prefix):
            self.balances[key] = self._default_credits
        return key if key in self.balances else None


def mask_key(key: str) -> str:
    """A stable label for a key: lets its owner find it in /sandbox/state without revealing it."""
    return "key#" + hashlib.sha256(key.encode()).hexdigest()[:8]


class SandboxState:
    """The service's behaviour: create and check-result, charging and refunding as API.md says."""

    def __init__(
        self,
        ledger: CreditLedger,
        task_seconds: float,
        spelling: StatusSpelling,
        limits: SandboxLimits | None = None,
    ) -> None:
        self.ledger = ledger
        self.task_seconds = task_seconds
        self.spelling = spelling
        self.limits = limits or SandboxLimits()
        self.limit_counters = LimitCounters()
        self.tasks: dict[str, Task] = {}
        self.received = Received()
        # 1-based ordinals of accepted creates whose task is to fail (see `fail_create`).
        self.failing_creates: dict[int, Outcome] = {}
        # Result URLs handed out and expired: task id -> (current version, status of older ones).
        self.url_versions: dict[str, tuple[int, int]] = {}

    def fail_create(self, nth: int, *, refund: bool = True) -> None:
        """Make the task of the `nth` accepted create (counting from 1, all keys) fail.

        What a prompt marker cannot do for one image of a batch: every image shares the prompt.
        """
        if not isinstance(nth, int) or isinstance(nth, bool) or nth <= len(self.tasks):
            raise ValueError(f"nth must be an int > {len(self.tasks)} (tasks so far), got {nth!r}")
        self.failing_creates[nth] = failed_on_request(refund)

    def unfinished(self, key: str, now: float) -> list[Task]:
        """The key's tasks that have not reached an end by `now` (they count as in flight)."""
        return [
            task
            for task in self.tasks.values()
            if task.owner == key and phase(task, now, self.task_seconds)[0] not in TERMINAL
        ]

    def create(
        self, authorization: str | None, body: Any, now: float, task_id: str | None = None
    ) -> Reply:
        """A create as the service acts it out; `task_id` gives its task that id (a fault)."""
        key = self.ledger.account(authorization)
        if key is None:
            return unauthorized()
        refused = self._over_limits(key, now)
        if refused is not None:
            return refused
        problems = ["body: must be valid JSON"] if body is NOT_JSON else validate_create(body)
        if problems:
            return Reply(422, "Validation failed: " + "; ".join(problems))
        cost = credit_cost(body)
        balance = self.ledger.balances[key]
        if balance < cost:
            return Reply(402, f"Insufficient credits: this task costs {cost}, balance is {balance}")
        self.ledger.balances[key] = balance - cost
        ordinal = len(self.tasks) + 1
        task = Task(
            task_id=task_id or uuid.uuid4().hex,
            owner=key,
            model=body["model"],
            cost=cost,
            started=now,
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            outcome=self.failing_creates.pop(ordinal)
            if ordinal in self.failing_creates
            else outcome_for(body),
        )
        self.tasks[task.task_id] = task
        self.limit_counters.accepted(key, len(self.unfinished(key, now)), now)
        return Reply(0, "ok", {"taskId": task.task_id})

    def _over_limits(self, key: str, now: float) -> Reply | None:
        limits = self.limits
        if limits.max_in_flight is None and limits.creates_per_window is None:
            return None
        running = self.unfinished(key, now)
        ends = [task.started + self.task_seconds - now for task in running]
        refusal = self.limit_counters.check(limits, key, len(running), now, min(ends, default=1))
        if refusal is None:
            return None
        return Reply(429, refusal.message, retry_after_s=refusal.retry_after_s)

    def status(
        self, authorization: str | None, body: Any, now: float, file_url: Callable[[str], str]
    ) -> Reply:
        key = self.ledger.account(authorization)
        if key is None:
            return unauthorized()
        task_id = body.get("taskId") if isinstance(body, dict) else None
        if not isinstance(task_id, str) or not task_id:
            return Reply(400, "Missing parameter: taskId")
        task = self.tasks.get(task_id)
        # Another account's task is as unknown as a made-up id: ids must not leak across keys.
        if task is None or task.owner != key:
            return Reply(404, f"Task not found: {task_id}")
        self.settle(now)
        data = status_data(task, now, self.task_seconds, file_url(task_id), self.spelling)
        return Reply(0, "ok", data)

    def settle(self, now: float) -> None:
        """Refund every task that has reached a refundable end and was not refunded yet."""
        for task in self.tasks.values():
            if task.outcome.refund and not task.refunded:
                status, _ = phase(task, now, self.task_seconds)
                if status == task.outcome.status:
                    self.ledger.balances[task.owner] += task.cost
                    task.refunded = True

    def refund(self, task_id: str) -> None:
        """A late refund of a task that ended failed or cancelled (see `Sandbox.refund`)."""
        task = self.tasks[task_id]
        if task.outcome.status == "succeeded":
            raise ValueError(f"task {task_id} does not end failed or cancelled")
        if not task.refunded:
            self.ledger.balances[task.owner] += task.cost
            task.refunded = True

    def file_path(self, task_id: str) -> str:
        """The path of a task's video as check-result names it now (`?v=N` once one expired)."""
        version = self.url_versions.get(task_id, (0, 0))[0]
        return f"/files/{quote(task_id, safe='')}.mp4" + (f"?v={version}" if version else "")

    def expire_url(self, task_id: str, status: int) -> None:
        """Expire the task's current URL: it answers `status`; check-result names a new one."""
        version = self.url_versions.get(task_id, (0, 0))[0]
        self.url_versions[task_id] = (version + 1, status)

    def expired_status(self, task_id: str, version: int) -> int | None:
        """What an older URL of the task answers (403, 404 or 410), or None if it is current."""
        current, status = self.url_versions.get(task_id, (0, 0))
        return status if version < current else None

    def is_downloadable(self, task_id: str, now: float) -> bool:
        task = self.tasks.get(task_id)
        return task is not None and phase(task, now, self.task_seconds)[0] == "succeeded"

    def summary(self, now: float) -> dict[str, Any]:
        """A human-readable picture of the sandbox; keys appear only masked."""
        self.settle(now)
        tasks = []
        for task in self.tasks.values():
            status, progress = phase(task, now, self.task_seconds)
            tasks.append(
                {
                    "taskId": task.task_id,
                    "account": mask_key(task.owner),
                    "model": task.model,
                    "status": status,
                    "progress": progress,
                    "cost": task.cost,
                    "credits_refunded": task.refunded,
                }
            )
        credits = [
            {"account": mask_key(key), "credits": balance}
            for key, balance in self.ledger.balances.items()
        ]
        return {"tasks_created": len(self.tasks), "credits": credits, "tasks": tasks}


def unauthorized() -> Reply:
    return Reply(401, f"Unauthorized: send 'Authorization: Bearer <key>', e.g. {SANDBOX_KEY}")
