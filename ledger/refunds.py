"""A refund the service reports after the pack recorded a failure, picked up by a bounded re-check.

A failed or cancelled take keeps its price in the daily budget until the service says its
credits came back (`ledger.budget`), and it may say so only after the task ended. So when the
budget refuses a create, the account's failed or cancelled tasks of the window whose refund was
never said (`Ledger.unrefunded`) are asked about once more; each refund the service reports now
is recorded, and the create is claimed once again if any came back.

Bounded, and never on the hot path: only a refused claim re-checks, outside every ledger lock
(the claim's own arithmetic stays local); at most RECHECK_TASKS tasks per re-check, each task
at most once per RECHECK_EVERY_S in a process, each answer within RECHECK_WAIT_S; re-checks of
one account at once share one round of questions. The service is reached only through the
`check` it is given (`FreeSoraClient.status`); may import `errors`, `schemas` and the ledger.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ..errors import BudgetExceededError, FreeSoraError, LedgerError
from ..schemas import TaskStatus
from .budget import check as budget_check
from .contract import Charge, Decision, Ledger, Take
from .endings import ending_of_status

logger = logging.getLogger("freesora.ledger")
T = TypeVar("T")
CheckStatus = Callable[[str], Awaitable[TaskStatus]]  # e.g. FreeSoraClient.status

RECHECK_TASKS = 5  # tasks asked per re-check
RECHECK_EVERY_S = 60.0  # a task is asked again only after this long (per process)
RECHECK_WAIT_S = 10.0  # one answer's deadline: a slow service costs a refusal this long at most
RECHECK_SCAN = 50  # pending tasks read to choose from (newest first)


@dataclass
class Asked:
    """A process's memory of its re-checks: when each task was last asked, how many refunds
    each account got, and the round of questions running for an account on each loop."""

    clock: Callable[[], float] = time.monotonic
    at: dict[str, float] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    running: dict[tuple[str, int], asyncio.Task[None]] = field(default_factory=dict)

    def due(self, task_id: str) -> bool:
        asked = self.at.get(task_id)
        return asked is None or self.clock() - asked >= RECHECK_EVERY_S

    def forget_old(self) -> None:
        """Tasks asked long enough ago are due again anyway: the memory stays small."""
        now = self.clock()
        self.at = {task: at for task, at in self.at.items() if now - at < RECHECK_EVERY_S}


ASKED = Asked()


async def claim_within_budget(
    ledger: Ledger,
    take: Take,
    *,
    model: str,
    summary: str,
    charge: Charge | None,
    check: CheckStatus,
    asked: Asked = ASKED,
) -> Decision:
    """`ledger.claim`; when the daily budget refuses it, a re-check of the account's failed or
    cancelled tasks whose refund was never said, then one more claim if any came back."""

    def claim() -> Awaitable[Decision]:
        return ledger.claim(take, model=model, summary=summary, charge=charge)

    return await _after_refunds(ledger, take.account, check, asked, claim)


async def refusal_after_recheck(
    ledger: Ledger, account: str, charge: Charge, check: CheckStatus, asked: Asked = ASKED
) -> str | None:
    """The daily budget's refusal of `charge` now, decided as a claim decides it (the same
    re-check of refunds before refusing), or None when it fits. Nothing is written."""

    async def fits() -> None:
        budget_check(charge, await ledger.spent(account))

    try:
        await _after_refunds(ledger, account, check, asked, fits)
    except BudgetExceededError as exc:
        return str(exc)
    return None


async def _after_refunds(
    ledger: Ledger,
    account: str,
    check: CheckStatus,
    asked: Asked,
    attempt: Callable[[], Awaitable[T]],
) -> T:
    """`attempt()`; when the daily budget refuses it, the bounded re-check, then `attempt()`
    once more if a refund came back."""
    try:
        return await attempt()
    except BudgetExceededError:
        try:
            found = await recheck_refunds(ledger, account, check, asked)
        except LedgerError as exc:  # the refusal stands, and is what the user must see
            logger.warning("refunds of the account were not re-checked: %s", exc)
            found = False
        if not found:
            raise
    return await attempt()


async def recheck_refunds(
    ledger: Ledger, account: str, check: CheckStatus, asked: Asked = ASKED
) -> bool:
    """Ask the service again about `account`'s tasks whose refund was never said (bounded, see
    the module); True when a refund was recorded meanwhile, by this round or one it joined."""
    before = asked.found.get(account, 0)
    key = (account, id(asyncio.get_running_loop()))
    running = asked.running.get(key)
    if running is None or running.done():
        running = asyncio.ensure_future(_ask(ledger, account, check, asked))
        asked.running[key] = running
    # Shielded: a cancelled caller does not cut a refund's record short.
    await asyncio.shield(running)
    if asked.running.get(key) is running:
        del asked.running[key]
    return asked.found.get(account, 0) > before


async def _ask(ledger: Ledger, account: str, check: CheckStatus, asked: Asked) -> None:
    asked.forget_old()
    pending = await ledger.unrefunded(account, limit=RECHECK_SCAN)
    due = [e.task_id for e in pending if e.task_id and asked.due(e.task_id)]
    # Never asked first, then the longest ago (newest first among equals): every pending task
    # gets its turn, however many there are.
    due.sort(key=lambda task_id: asked.at.get(task_id, float("-inf")))
    chosen = due[:RECHECK_TASKS]
    for task_id in chosen:
        asked.at[task_id] = asked.clock()
    answers = await asyncio.gather(*(_status(check, task_id) for task_id in chosen))
    for task_id, status in zip(chosen, answers, strict=True):
        ending = None if status is None else ending_of_status(status)
        if ending is None or ending.credits_refunded is not True:
            continue  # still running, or no refund said (a success has none to say)
        try:
            await ledger.record_outcome(task_id, ending.state, credits_refunded=True)
        except LedgerError as exc:
            logger.warning("task %s: its refund could not be recorded: %s", task_id, exc)
            continue
        asked.found[account] = asked.found.get(account, 0) + 1


async def _status(check: CheckStatus, task_id: str) -> TaskStatus | None:
    """The service's answer, or None when it has none in time (it is asked again later)."""
    try:
        return await asyncio.wait_for(check(task_id), RECHECK_WAIT_S)
    except (FreeSoraError, asyncio.TimeoutError):
        return None
