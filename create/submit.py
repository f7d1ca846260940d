"""Submitting planned tasks through the ledger: claim -> create -> settle, each slot exactly once.

The create step of every creation node and of `freesora create`. Before a create leaves the
machine the ledger holds a durable SENDING record of its take (account, request, seed, slot);
after, its outcome. A sent create is never abandoned: if the caller is cancelled meanwhile
(Cancel, a prompt failing elsewhere, Ctrl+C) its answer is still awaited and recorded, and the
cancellation goes on after. An unknown outcome blocks only its own slot.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import (
    MESSAGE_MAX_CHARS,
    BudgetExceededError,
    CreateOutcomeUnknownError,
    FreeSoraError,
    LedgerError,
    shortened,
)
from ..ledger import (
    Charge,
    Claim,
    Entry,
    Ledger,
    OnWait,
    Take,
    claim_within_budget,
    excerpt,
    journal_flags,
    kept_request,
    outlive,
    request_hashes,
    wait_for_slot,
)
from ..schemas.pricing import PriceTable, price_of, shown
from ..service.client import FreeSoraClient
from . import detached
from .plan import PlannedTask
from .unknown import unknown_outcome

logger = logging.getLogger("freesora.create")
# What a creation node outputs for a take its daily budget refused (nothing was sent): Video
# Result reads it as that item's failure, so `on_error` skip saves the takes that were made.
NOT_CREATED = "not created: "
# How much of an earlier attempt's reason a new task's line repeats.
WHY_NEW_CHARS = 120


@dataclass(frozen=True)
class Submitted:
    task_id: str
    reused: bool = False
    note: str = ""  # why a new task was created where an earlier one ended (failed, released)
    price: float | None = None  # credits charged for a new task (the price table's)
    refused: BudgetExceededError | None = None  # not sent: the daily budget (`task_id` empty)
    # Its take was claimed when the prompt was queued ("Start tasks when queued"): charged then.
    started_when_queued: bool = False

    @property
    def output(self) -> str:
        """The task id, or for a refused take `NOT_CREATED` and why."""
        return self.task_id if self.refused is None else NOT_CREATED + str(self.refused)

    def describe(self) -> str:
        if self.refused is not None:
            return NOT_CREATED + str(self.refused)
        if self.reused and self.started_when_queued:
            return f"task {self.task_id} (started when queued)"
        if self.reused:
            return f"reused task {self.task_id} (no credits spent)"
        said = [self.note] if self.note else []
        if self.price is not None:
            said.append(f"≈ {shown(self.price)} credits")
        return f"created task {self.task_id}" + (f" ({'; '.join(said)})" if said else "")


OnSubmitted = Callable[[int, Submitted], None]


async def submit_tasks(
    client: FreeSoraClient,
    planned: Sequence[PlannedTask],
    *,
    ledger: Ledger | None = None,
    seed: int | None = None,
    reuse: bool = True,
    on_submitted: OnSubmitted | None = None,
    on_wait: OnWait | None = None,
    prices: PriceTable | None = None,
    keep_refused: bool = False,
    started_when_queued: bool = False,
) -> list[Submitted]:
    """Create (or reuse) every task, a few at a time; results in input order.

    With `reuse=False` every slot is a new take (still written ahead, never resent). When some
    slots fail, the tasks already created are named in the error: they are paid for. A store
    with account-wide admission (a farm's database) holds a create back while the account is
    full; `on_wait` hears why, once.

    Each new take is charged its price from `prices` (the merged table; default: the pack's
    estimate) against the profile's daily budget when it is claimed. Takes the budget refuses
    are not sent; with `keep_refused`, when others of the batch were created, they come back as
    `Submitted(refused=...)` (a node skips them) instead of failing the batch. With
    `started_when_queued` each new take's records say so (a queued prompt's early start), and
    nothing is claimed (`[]` comes back) unless `may_start_early` says so of the takes.
    """
    account = ""
    settings = client.settings
    if ledger is not None:
        account = await ledger.account(settings.profile, settings.require_key().reveal())
    if started_when_queued and ledger is not None:
        earlier = await attempts_of(ledger, account, settings.base_url, planned, seed)
        if not may_start_early(earlier):
            return []

    async def one(index: int, task: PlannedTask) -> Submitted:
        if ledger is None:
            result = Submitted(await client.create(task.request))
        else:
            take = await _take(client, task, account, seed, index, reuse)
            take = dataclasses.replace(
                take, asked=kept_of(task), started_when_queued=started_when_queued
            )
            price = price_of(task.request.to_payload(), prices)
            charge = Charge(price, settings.daily_budget, settings.budget_source)
            try:
                result = await _submit_take(
                    client, ledger, task, take, on_wait, charge, in_batch=len(planned) > 1
                )
            except asyncio.CancelledError as cancel:
                _tell_created(cancel, index, on_submitted)
                raise
        if on_submitted is not None:
            on_submitted(index, result)
        return result

    results = await asyncio.gather(
        *(one(i, task) for i, task in enumerate(planned)), return_exceptions=True
    )
    done = [r for r in results if isinstance(r, Submitted)]
    failures = [r for r in results if isinstance(r, BaseException)]
    if not failures:
        return done
    if keep_refused and done and all(isinstance(f, BudgetExceededError) for f in failures):
        return [_kept(result) for result in results]
    # A possible charge outweighs any other failure: report it first; a cancel goes on as is.
    cancelled = [f for f in failures if isinstance(f, asyncio.CancelledError)]
    if cancelled:
        _log_kept(done)
        raise cancelled[0]
    unknown = [f for f in failures if isinstance(f, CreateOutcomeUnknownError | LedgerError)]
    listed = "" if ledger is None else journal_flags(ledger, settings.profile)
    raise _batch_error((unknown or failures)[0], len(failures), len(planned), done, listed)


async def attempts_of(
    ledger: Ledger, account: str, base_url: str, planned: Sequence[PlannedTask], seed: int | None
) -> list[Entry | None]:
    """What the ledger holds of each slot's take (None: never claimed)."""
    found = []
    for slot, task in enumerate(planned):
        take = await asyncio.to_thread(take_of, task, base_url, account, seed, slot)
        found.append(await ledger.lookup(take))
    return found


def may_start_early(earlier: Sequence[Entry | None]) -> bool:
    """Whether a node's takes may be claimed when its prompt is queued: all never claimed, or
    all reusable (which costs nothing). Any other attempt (ended unused, or a batch only partly
    recorded: a slot the daily budget refused leaves no record) means the node already ran with
    these values, and ComfyUI may serve its output from its cache without running it: a task
    paid now would never be used. Such a node creates when it runs, if it runs."""
    return all(entry is None for entry in earlier) or all(
        entry is not None and entry.state.reusable for entry in earlier
    )


async def _take(
    client: FreeSoraClient,
    task: PlannedTask,
    account: str,
    seed: int | None,
    slot: int,
    reuse: bool,
) -> Take:
    # Hashing a 10 MB image takes ~100 ms: off the event loop, where other nodes run.
    take = await asyncio.to_thread(take_of, task, client.settings.base_url, account, seed, slot)
    if not reuse:  # an explicit order: a take of its own
        return Take(
            account=account, request=f"{take.request}:{uuid.uuid4().hex}", seed=seed, slot=slot
        )
    return take


def take_of(task: PlannedTask, base_url: str, account: str, seed: int | None, slot: int) -> Take:
    """The take a planned task makes in batch slot `slot`: what the ledger finds it by."""
    request, legacy = request_hashes(task.request.to_payload(), base_url, slot)
    return Take(account=account, request=request, seed=seed, slot=slot, legacy=legacy)


async def _submit_take(
    client: FreeSoraClient,
    ledger: Ledger,
    task: PlannedTask,
    take: Take,
    on_wait: OnWait | None = None,
    charge: Charge | None = None,
    *,
    in_batch: bool = False,
) -> Submitted:
    try:
        model, summary = task.request.model.value, _summary(task)
        # Refused by the budget: a bounded re-check of unrefunded failures, then once more.
        decision = await claim_within_budget(
            ledger, take, model=model, summary=summary, charge=charge, check=client.status
        )
    except LedgerError as exc:
        exc.message += " Nothing was sent and no credits were spent."
        raise
    if decision.claim is None:
        earlier = decision.earlier
        assert earlier is not None  # a store returns one of the two
        if earlier.state.reusable and earlier.task_id:
            return Submitted(
                earlier.task_id, reused=True, started_when_queued=earlier.started_when_queued
            )
        reason = earlier.reason or "no answer was recorded"
        profile = client.settings.profile
        raise unknown_outcome(
            reason, take, ledger, profile, sent_at=earlier.created_at, in_batch=in_batch
        )
    note = _why_new(decision.earlier)
    try:
        # Account-wide admission (a no-op for a local file): nothing is sent while waiting.
        await wait_for_slot(ledger, decision.claim, check=client.status, on_wait=on_wait)
    except BaseException:
        await decision.claim.release()  # nothing was sent: the take is free again
        raise
    # Once sent, the answer is awaited and recorded even if we are cancelled (bounded by the
    # create's own timeouts); a second cancel stops the wait.
    sending = await outlive(
        _create_and_settle(client, task, decision.claim, ledger, in_batch), on_cancel=_told_waiting
    )
    sent = sending.future
    if sending.cancelled:
        if not sent.cancelled() and sent.exception() is None:
            # Created, then cancelled: the cancel carries the task, for the caller to tell.
            price = None if charge is None else charge.price
            raise asyncio.CancelledError(Submitted(sent.result(), note=note, price=price))
        raise asyncio.CancelledError
    price = None if charge is None else charge.price
    return Submitted(
        sent.result(), note=note, price=price, started_when_queued=take.started_when_queued
    )


def _created_before_cancel(cancel: asyncio.CancelledError) -> Submitted | None:
    """The task a cancelled take had created before the cancel came, if it had."""
    created = cancel.args[0] if cancel.args else None
    return created if isinstance(created, Submitted) else None


def _tell_created(
    cancel: asyncio.CancelledError, index: int, on_submitted: OnSubmitted | None
) -> None:
    """A take created, then cancelled: the task exists, so whoever stops is told of it (the
    log, when nobody listens)."""
    created = _created_before_cancel(cancel)
    if created is not None and on_submitted is not None:
        on_submitted(index, created)
    elif created is not None:
        logger.warning("created task %s (kept in the task journal)", created.task_id)


def _told_waiting() -> None:
    logger.warning("cancelled during a create: waiting for its answer to record it")


async def _create_and_settle(
    client: FreeSoraClient, task: PlannedTask, claim: Claim, ledger: Ledger, in_batch: bool
) -> str:
    # The account's gate (service/account_gate.py) applies inside `create`, on the loop it runs on.
    answer = detached.send(client, task.request)
    cancelled = (await outlive(answer)).cancelled
    if answer.cancelled():
        await _unrecorded(claim.unknown("the create was stopped before its answer came"))
        raise asyncio.CancelledError
    error = answer.exception()
    if isinstance(error, CreateOutcomeUnknownError):
        what = error.what or error.message
        logger.info("take %s: %s", claim.take.key[:12], error.message)
        unrecorded = await _unrecorded(claim.unknown(what))
        profile = client.settings.profile
        error = unknown_outcome(what, claim.take, ledger, profile, in_batch=in_batch)
        error.message += unrecorded
    elif isinstance(error, FreeSoraError):
        # The service refused it, or it provably never left: nothing was charged.
        error.message += await _unrecorded(claim.refused(error.what or error.message))
    elif error is not None:
        await _unrecorded(claim.unknown(f"the create failed: {type(error).__name__}"))
    else:
        await claim.created(answer.result())
    if cancelled:
        raise asyncio.CancelledError
    if error is not None:
        raise error
    return answer.result()


async def _unrecorded(settling: Awaitable[None]) -> str:
    """ "" once the outcome is recorded, else what to add to the error the user sees (the take
    then reads as unknown: it blocks a resend until forgotten); the log says why."""
    try:
        await settling
    except LedgerError as exc:
        logger.error("could not record a create's outcome: %s", exc)
        return " It could not be recorded in the task journal either: the log says why."
    return ""


def _summary(task: PlannedTask) -> str:
    """What lists show of a take: the start of its prompt (or first shot), then what was sent."""
    request = task.request
    text = request.prompt or (request.shots[0].scene if request.shots else "")
    start = excerpt(" ".join(text.split()), 60)
    return f"{start} | {task.describe()}" if start else task.describe()


def kept_of(task: PlannedTask) -> dict[str, Any]:
    """What the take keeps of its request for a person to read (`ledger.kept_request`)."""
    request = task.request
    return kept_request(
        prompt=request.prompt,
        shots=[(shot.duration, shot.scene) for shot in request.shots or []],
        seconds=None if request.n_frames is None else float(request.n_frames),
        aspect_ratio=request.aspect_ratio.value,
        size=None if request.size is None else request.size.value,
        image=bool(request.image_data or request.image_url),
    )


def _why_new(earlier: Entry | None) -> str:
    if earlier is None or earlier.state.value == "refused":
        return ""
    what = f"task {earlier.task_id}" if earlier.task_id else "an earlier attempt"
    reason = f": {shortened(earlier.reason, WHY_NEW_CHARS)}" if earlier.reason else ""
    return f"new task: {what} with this seed was {earlier.state.value}{reason}"


def _kept(result: Submitted | BaseException) -> Submitted:
    """A batch's result as kept when only its budget refused some takes."""
    if isinstance(result, BudgetExceededError):
        return Submitted("", refused=result)
    assert isinstance(result, Submitted)  # the caller checked: only budget refusals failed
    return result


def _log_kept(done: list[Submitted]) -> None:
    for result in done:
        logger.warning("kept task %s (%s)", result.task_id, result.describe())


def _batch_error(
    first: BaseException, failed: int, total: int, done: list[Submitted], listed: str
) -> BaseException:
    """The first failure of a batch, said with how many failed and where the tasks kept (paid
    for) are: their ids when they fit in a message, else the command that lists them
    (`listed`: its flags), else the FreeSora tab."""
    if total == 1 or not isinstance(first, FreeSoraError):
        return first
    head = f"{failed} of {total} tasks could not be created. {first.message}"
    made = ", ".join(s.task_id for s in done)
    kept = ""
    if made:
        ways = (
            f" Created or reused, keep these ids: {made}.",
            f" The tasks created are listed by `freesora tasks {listed}`.",
            " The tasks created are listed in the FreeSora tab.",
        )
        kept = next((way for way in ways if len(head) + len(way) <= MESSAGE_MAX_CHARS), ways[-1])
    kind = type(first) if type(first).__init__ is FreeSoraError.__init__ else FreeSoraError
    error = kind(
        head + kept,
        status=first.status,
        code=first.code,
        task_id=first.task_id,
        said=first.said,
        what=first.what,
    )
    if isinstance(first, CreateOutcomeUnknownError) and isinstance(
        error, CreateOutcomeUnknownError
    ):
        error.take = first.take
    error.__cause__ = first
    return error
