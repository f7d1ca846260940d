"""A held claim of `FileLedger`: settles its take exactly once, then lets the take go.

Settling writes the outcome durably. When that write fails after a create, the task id is kept
in memory (this process never resends the take), logged, and named in the LedgerError raised.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from ...errors import LedgerError, shortened
from ..contract import (
    NOT_SENT,
    PASTED,
    Take,
    TakeState,
    adoptable,
    forgettable,
    task_held_elsewhere,
    unrecorded_task,
)
from ..outlive import finish
from .index import unpack
from .journal import JournalFile, logger
from .locks import TakeLocks

KEEP_HINT = "paste it into Video Result to collect it"
# A take's reason as the journal keeps it: what happened, never a whole page.
REASON_MAX_CHARS = 300


def void_unsent_record(file: JournalFile, key: str) -> None:
    """Under the take's lock: a SENDING record is the claim's own (`FileLedger._check` turned
    any orphan into UNKNOWN first); it is released as a claim is when nothing was sent."""
    with file.mutex:
        index = file.catch_up()
        row = index.row_of(key)
        if row is not None and index.state_of(row) is TakeState.SENDING:
            file.append({"event": "refused", "take": key, "reason": NOT_SENT, "time": time.time()})


def append_decision(file: JournalFile, record: dict[str, Any]) -> None:
    """Under the take's lock: the user's adoption or forgetting of a take, of an unknown take
    only (`adoptable`, `forgettable`: under the lock a SENDING record is an orphan's), checked
    with the record's append so no adoption in between is released into a second create. An
    adoption is of an id no other take holds, as the database's unique index refuses it (the
    task would be listed, and collected, twice); the row of a pasted id joins the take
    (`records`)."""
    with file.mutex:
        task_id = record.get("task_id")
        index = file.catch_up()
        take = index.row_of(record["take"])
        if take is not None and task_id is None:
            forgettable(record["take"], index.state_of(take))
        if task_id is not None:
            if take is not None:
                adoptable(record["take"], index.state_of(take), task_id)
            row = index.by_task.get(task_id)
            holder = None if row is None else unpack(index.key[row])
            if holder not in (None, PASTED + task_id) and row != take:
                raise task_held_elsewhere(task_id, str(holder))
        file.append(record)


class _Store(Protocol):
    file: JournalFile
    takes: TakeLocks


class FileClaim:
    def __init__(self, store: _Store, take: Take) -> None:
        self.take = take
        self._store = store
        self._settled = False

    async def created(self, task_id: str) -> None:
        await self._settle({"event": "created", "task_id": task_id}, task_id)

    async def refused(self, reason: str) -> None:
        await self._settle({"event": "refused", "reason": shortened(reason, REASON_MAX_CHARS)})

    async def unknown(self, reason: str) -> None:
        await self._settle({"event": "unknown", "reason": shortened(reason, REASON_MAX_CHARS)})

    async def release(self) -> None:
        if not self._settled:
            await self._settle({"event": "refused", "reason": NOT_SENT})

    async def _settle(self, record: dict[str, Any], task_id: str | None = None) -> None:
        if self._settled:
            raise RuntimeError("a claim is settled once")  # a bug, not a user's problem
        self._settled = True
        key = self.take.key
        record.update(take=key, time=time.time())
        try:
            await finish(asyncio.to_thread(self._store.file.append, record))
        except LedgerError as exc:
            self._store.file.keep_unwritten(record)  # this process must not resend it
            if task_id is None:
                raise
            logger.error("FreeSora created task %s but could not record it: %s", task_id, exc)
            raise unrecorded_task(task_id, str(exc).rstrip("."), KEEP_HINT) from exc
        finally:
            self._store.takes.let_go(key)
