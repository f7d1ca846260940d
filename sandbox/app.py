"""`Sandbox`: one emulated service (configuration, state, fault queue) and its aiohttp app.

Holds no sockets: serving it is `server.py`'s job, so tests may mount `app()` on any server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

from aiohttp import web

from .faults import FaultQueue
from .limits import SandboxLimits
from .routes import build_app
from .state import DEFAULT_CREDITS, SANDBOX_KEY, CreditLedger, Received, SandboxState
from .tasks import StatusSpelling, Task

T = TypeVar("T")
SPELLINGS = ("service", "upstream")


class Sandbox:
    """An emulated FreeSoraGenerator service.

    `keys` maps API keys to credit balances (default: {"sk-sandbox": 1000}); any key starting
    with `open_prefix` ("sk-sandbox", e.g. "sk-sandbox-alice") also works and starts with
    `default_credits`. Tasks take `task_seconds` of `clock` time to finish; `latency_s` delays
    every create and status answer; `status_spelling="upstream"` answers with the provider's
    words (waiting/generating/success/fail, `result_url`).

    Account limits, per key, off unless given: `max_in_flight` unfinished tasks and
    `creates_per_window` creates per `window_s` seconds; beyond either a create gets the
    service's 429 with a Retry-After (upstream: about 20 and 20 per 10 s).
    """

    def __init__(
        self,
        keys: Mapping[str, int] | None = None,
        task_seconds: float = 6.0,
        clock: Callable[[], float] = time.monotonic,
        status_spelling: StatusSpelling = "service",
        latency_s: float = 0.0,
        *,
        default_credits: int = DEFAULT_CREDITS,
        open_prefix: str | None = SANDBOX_KEY,
        max_in_flight: int | None = None,
        creates_per_window: int | None = None,
        window_s: float = 10.0,
        create_seconds: float = 0.0,
    ) -> None:
        if status_spelling not in SPELLINGS:
            raise ValueError(f"status_spelling must be one of {SPELLINGS}, got {status_spelling!r}")
        if task_seconds < 0 or latency_s < 0:
            raise ValueError(
                f"task_seconds and latency_s must be >= 0, got {task_seconds}, {latency_s}"
            )
        self.clock = clock
        self.latency_s = latency_s
        # Every create takes this long and completes even if the client hangs up meanwhile,
        # as a real web service does: the window in which a crash or cancel can lose a task.
        self.create_seconds = create_seconds
        self.state = SandboxState(
            CreditLedger(keys, open_prefix, default_credits),
            task_seconds,
            status_spelling,
            SandboxLimits(max_in_flight, creates_per_window, window_s),
        )
        self.faults = FaultQueue()
        # Strong references: asyncio keeps only weak ones to running tasks.
        self._background: set[asyncio.Task[Any]] = set()

    def app(self) -> web.Application:
        """A fresh aiohttp application serving this sandbox (state is shared, not copied)."""
        return build_app(self)

    @property
    def received(self) -> Received:
        """Every create, status and download request received, for assertions."""
        return self.state.received

    @property
    def tasks(self) -> dict[str, Task]:
        return self.state.tasks

    @property
    def tasks_created(self) -> int:
        return len(self.state.tasks)

    def fail_create(self, nth: int, *, refund: bool = True) -> None:
        """Make the task of the `nth` accepted create fail when it ends (refunded or not).

        Counted from the sandbox's first task, 1-based, all keys: `fail_create(tasks_created
        + 2)` fails the second task of the next batch, whatever its prompt.
        """
        self.state.fail_create(nth, refund=refund)

    def refund(self, task_id: str) -> None:
        """Give a failed or cancelled task's credits back now, as a service may do after it
        first reported them kept: check-result says `credits_refunded: true` from then on."""
        self.state.refund(task_id)

    @property
    def peak_in_flight(self) -> int:
        """The most unfinished tasks one key had at once (counted at each accepted create)."""
        return self.state.limit_counters.peak_in_flight

    @property
    def rate_limited(self) -> int:
        """How many creates the account limits refused with a 429."""
        return self.state.limit_counters.refused

    def credits(self, key: str) -> int:
        """The balance of `key` now, after refunds of tasks that have failed by now."""
        self.state.settle(self.clock())
        return self.state.ledger.balances[key]

    def summary(self) -> dict[str, Any]:
        """What GET /sandbox/state answers: tasks and balances, keys masked."""
        return {
            **self.state.summary(self.clock()),
            "task_seconds": self.state.task_seconds,
            "status_spelling": self.state.spelling,
            "faults_pending": self.faults.pending(),
            "limits": {
                "max_in_flight": self.state.limits.max_in_flight,
                "creates_per_window": self.state.limits.creates_per_window,
                "window_s": self.state.limits.window_s,
                "refused": self.rate_limited,
                "peak_in_flight": self.peak_in_flight,
            },
        }

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run work that must outlive the request that started it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def drain(self) -> None:
        """Wait until work that outlived its request (a delayed create) has finished."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def cancel_background(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
