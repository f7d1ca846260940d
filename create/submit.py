"""Submitting planned tasks: journaled, and reused when the same request and seed were paid for.

The create step of every creation node and of `freesora create`. A task is written to the
journal before this returns; an outcome the service left unknown is written down too, and
blocks a blind resend of the same request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import CreateOutcomeUnknownError, FreeSoraError
from ..ledger.journal import Journal, TaskRecord, find_reusable, fingerprint
from ..service.client import FreeSoraClient
from .plan import PlannedTask


@dataclass(frozen=True)
class Submitted:
    task_id: str
    reused: bool = False

    def describe(self) -> str:
        if self.reused:
            return f"reused task {self.task_id} (no credits spent)"
        return f"created task {self.task_id}"


OnSubmitted = Callable[[int, Submitted], None]


async def submit_tasks(
    client: FreeSoraClient,
    planned: Sequence[PlannedTask],
    *,
    journal: Journal | None = None,
    seed: int | None = None,
    reuse: bool = True,
    on_submitted: OnSubmitted | None = None,
) -> list[Submitted]:
    """Create (or reuse) every task, a few at a time; results in input order.

    When some fail, the ones already created are named in the error: they are paid for and
    must not be lost.
    """

    # Read once for the whole batch: its slots never match each other's fingerprints.
    known = journal.records() if journal is not None and reuse else None

    async def one(index: int, task: PlannedTask) -> Submitted:
        result = await _submit_one(client, task, index, journal, seed, known)
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
    # A possible charge outweighs any other failure: report it first.
    unknown = [f for f in failures if isinstance(f, CreateOutcomeUnknownError)]
    raise _batch_error((unknown or failures)[0], len(failures), len(planned), done)


async def _submit_one(
    client: FreeSoraClient,
    task: PlannedTask,
    slot: int,
    journal: Journal | None,
    seed: int | None,
    known: list[TaskRecord] | None,
) -> Submitted:
    model = task.request.model.value
    take_key = fingerprint(task.request.to_payload(), client.settings.base_url, slot)
    if journal is not None and known is not None:
        earlier = find_reusable(known, take_key, seed)
        if earlier is not None and earlier.task_id and earlier.status != "unknown":
            return Submitted(earlier.task_id, reused=True)
        if earlier is not None:
            raise _still_unknown(earlier, journal)
    try:
        task_id = await client.create(task.request)
    except CreateOutcomeUnknownError as exc:
        if journal is not None:
            journal.record_unknown(model, take_key, seed, str(exc))
            exc.message += f" This attempt is recorded in the task journal ({journal.path})."
        raise
    if journal is not None:
        journal.record_created(task_id, model, take_key, seed)
    return Submitted(task_id)


def _still_unknown(earlier: TaskRecord, journal: Journal) -> CreateOutcomeUnknownError:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(earlier.created_at))
    return CreateOutcomeUnknownError(
        f"This exact request (same inputs and seed) was sent at {when} and its answer was lost, "
        "so a task may exist and be charged. Not sending it again: look for that task in your "
        "history on the service first. To create it anyway, change the seed. "
        f"(Task journal: {journal.path})"
    )


def _batch_error(
    first: BaseException, failed: int, total: int, done: list[Submitted]
) -> BaseException:
    if total == 1 or not isinstance(first, FreeSoraError):
        return first
    made = ", ".join(s.task_id for s in done) or "none"
    message = (
        f"{failed} of {total} tasks could not be created: {first} "
        f"Created or reused (keep these ids): {made}."
    )
    if type(first).__init__ is FreeSoraError.__init__:
        error = type(first)(message, status=first.status, code=first.code)
    else:
        error = FreeSoraError(message)
    error.__cause__ = first
    return error
