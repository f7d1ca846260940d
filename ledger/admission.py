"""Account-wide admission: a create waits for a slot rather than going over the account's limits.

The account's limits (`schemas.account_limits`, per account, across every process sharing the
ledger): so many unfinished tasks (`FREESORA_MAX_IN_FLIGHT`) and so many creates per 10 s
(`FREESORA_CREATES_PER_10S`). The store decides atomically (`try_admit`, under a per-account
lock: `ledger.postgres.admission`) and remembers the decision on the claim's row, so a worker
that dies while waiting is known to have sent nothing.

Tasks leave the in-flight count when any process records their outcome. A waiting create does
not rely on others for that (`freesora create` never waits for videos): it asks the service
about the account's oldest unfinished tasks, a dead worker's included, and records what it
learns before it counts again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import FreeSoraError
from ..schemas import TaskStatus
from ..schemas.account_limits import AccountLimits
from .contract import Claim, Ledger
from .endings import ending_of_status

POLL_S = 5.0

CheckStatus = Callable[[str], Awaitable[TaskStatus]]  # e.g. FreeSoraClient.status
OnWait = Callable[[str], None]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Verdict:
    """The store's answer: admitted, or why not and what to ask the service about."""

    admitted: bool
    in_flight: int  # the account's other unfinished tasks
    recent: int  # the account's other creates in the window
    recheck: list[str]  # oldest unfinished task ids, to ask the service about
    window_frees_in_s: float  # when the oldest create of the window leaves it


class AdmittingStore(Ledger, Protocol):
    """A store that decides admission itself (`PostgresLedger` is one)."""

    async def try_admit(self, claim: Any, limits: AccountLimits, now: float) -> Verdict: ...


def once(sink: OnWait) -> OnWait:
    """An `on_wait` that passes on only the first message: the CLI says it once per command,
    however many of its creates wait."""
    told: list[str] = []

    def say(message: str) -> None:
        if not told:
            told.append(message)
            sink(message)

    return say


def waiting_message(verdict: Verdict, limits: AccountLimits) -> str:
    if verdict.in_flight >= limits.max_in_flight:
        tasks = "task" if verdict.in_flight == 1 else "tasks"
        return f"waiting for a slot: {verdict.in_flight} {tasks} in flight on this account"
    return (
        f"waiting for a slot: {verdict.recent} creates in the last {limits.window_s:g} s "
        "on this account"
    )


async def wait_for_slot(
    ledger: object,
    claim: Claim,
    *,
    check: CheckStatus,
    limits: AccountLimits | None = None,
    on_wait: OnWait | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.time,
    poll_s: float = POLL_S,
) -> None:
    """Return once `claim` may be sent; a no-op for a store without admission (a local file).

    `on_wait` hears the waiting message once. Cancelling this is safe: nothing was sent.
    """
    if not hasattr(ledger, "try_admit"):
        return
    store: AdmittingStore = ledger  # type: ignore[assignment]
    limits = limits or AccountLimits.from_env()
    told = False
    while True:
        verdict = await store.try_admit(claim, limits, clock())
        if verdict.admitted:
            return
        if not told and on_wait is not None:
            on_wait(waiting_message(verdict, limits))
        told = True
        if await recheck(store, verdict.recheck, check):
            continue  # some task ended: count again at once
        pause = poll_s if verdict.in_flight >= limits.max_in_flight else verdict.window_frees_in_s
        await sleep(max(0.05, min(poll_s, pause)))


async def recheck(store: AdmittingStore, task_ids: list[str], check: CheckStatus) -> bool:
    """Ask the service how these tasks are doing; record the ended ones. True if any ended."""
    ended = False
    for task_id in task_ids:
        try:
            status = await check(task_id)
        except FreeSoraError:
            continue  # unreachable or unknown to the service now: it keeps counting
        ending = ending_of_status(status)
        if ending is None:
            continue
        await store.record_outcome(
            task_id,
            ending.state,
            url=ending.url,
            reason=ending.reason,
            credits_refunded=ending.credits_refunded,
        )
        ended = True
    return ended
