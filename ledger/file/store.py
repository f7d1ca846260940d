"""FileLedger, the default store: a JSON-lines journal file shared by every process that opens it.

Guarantees (those of `contract.Ledger`, and how this store keeps them):
- Write-ahead: `claim` appends a SENDING record and fsyncs it before it returns a claim.
- At most once: a claim holds an OS lock on its take's byte of `<journal>.lock` (fcntl on
  POSIX, msvcrt on Windows) from the check through the create to the record, plus an asyncio
  lock per take inside this process. The OS drops a dead process's locks, so a SENDING record
  whose byte is free was left by a crash: it reads as UNKNOWN.
- Daily budget: a priced claim's SENDING record is appended only if the account's last 24
  hours fit, under the account's byte of `<journal>.budget.lock` (`budget`).
- Appends hold byte 0 of the lock file, start on a fresh line and are fsynced; a torn line never
  swallows the next record.
- The index (take -> row, `index.Index`) is built once when opened, from its cache when that
  matches, and caught up from the last offset read; a compacted (replaced) journal is detected
  by its inode and read afresh. Lookups are dictionary reads; a list sorts rows, not objects.
- Damage (torn lines, bad bytes, wrong types, disorder) is skipped, counted, logged once and
  listed by `problems`; never raised.
- Every blocking call runs in a thread: nothing here blocks the event loop.
Never holds the API key or image data: accounts are keyed hashes (`contract.account_id`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...schemas.pricing import BUDGET_WINDOW_S
from ..budget import REFUNDABLE
from ..commands import journal_flags
from ..contract import (
    MIN_TAKE_PREFIX,
    PASTED,
    Charge,
    Decision,
    Entry,
    Spending,
    Take,
    TakeState,
    account_id,
    dropped,
    one_take,
)
from ..outlive import finish
from ..sent_request import REQUEST
from .budget import append_sending, spent_now
from .claim import FileClaim, append_decision, void_unsent_record
from .index import CODE, REFUND_CODE, Index, unpack
from .journal import JournalFile, logger
from .locks import TakeLocks, offset_of
from .secret import journal_secret, rekey

_FINISHED = frozenset(CODE[state] for state in TakeState if state.finished)
_REFUNDABLE = frozenset(CODE[state] for state in REFUNDABLE)
# Why a SENDING take whose claimant is gone reads as unknown. Short: the unknown outcome's
# message says what follows (a task may exist and be charged).
DIED_SENDING = "its process stopped before the answer was recorded"
_OPEN: dict[Path, FileLedger] = {}
_OPEN_GUARD = threading.Lock()


def shared_file_ledger(path: Path) -> FileLedger:
    """The process's one FileLedger for `path` (one lock file descriptor, one index)."""
    resolved = Path(path).expanduser().resolve()
    with _OPEN_GUARD:
        ledger = _OPEN.get(resolved)
        if ledger is None:
            ledger = _OPEN[resolved] = FileLedger(resolved)
        return ledger


class FileLedger:
    """The journal file as a `Ledger`; open it with `shared_file_ledger` (one per process and
    path)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.where = str(self.path)
        self.file = JournalFile(self.path)
        self.takes = TakeLocks(self.file.locks)
        self._secret: bytes | None = None

    # --- reading ---------------------------------------------------------------------------

    async def account(self, profile: str, api_key: str) -> str:
        if self._secret is None:
            # Never a new secret for a journal of takes: every account id would change.
            self._secret = await finish(asyncio.to_thread(journal_secret, self.file))
        return account_id(profile, api_key, self._secret)

    async def rekey(self) -> str:
        """The user's choice to go on with the secret beside the journal (`secret.rekey`)."""
        said = await finish(asyncio.to_thread(rekey, self.file))
        self._secret = None
        return said

    async def lookup(self, take: Take) -> Entry | None:
        found = await asyncio.to_thread(self._one, lambda index: index.row_of(take.key))
        return None if found is None else self._as_seen(found)

    async def find_task(self, task_id: str) -> Entry | None:
        return await asyncio.to_thread(self._one, lambda index: index.by_task.get(task_id))

    def _one(self, find: Callable[[Index], int | None]) -> Entry | None:
        found = self.file.entries(lambda index: [] if (row := find(index)) is None else [row])
        return found[0] if found else None

    async def entries(
        self,
        *,
        limit: int | None = None,
        offset: int = 0,
        only_unfinished: bool = False,
        model: str | None = None,
    ) -> list[Entry]:
        end = None if limit is None else offset + limit

        def page(index: Index) -> list[int]:
            return _chosen(index, only_unfinished, model)[offset:end]

        found = await asyncio.to_thread(self.file.entries, page)
        return [self._as_seen(entry) for entry in found]

    async def count(self, *, only_unfinished: bool = False, model: str | None = None) -> int:
        def total() -> int:
            with self.file.mutex:
                return len(_chosen(self.file.catch_up(), only_unfinished, model, ordered=False))

        return await asyncio.to_thread(total)

    def _as_seen(self, entry: Entry) -> Entry:
        """A SENDING whose claimant is gone (its lock is free) is shown as UNKNOWN."""
        if entry.state is TakeState.SENDING and not self._in_flight(entry.take_key):
            entry.state = TakeState.UNKNOWN
            entry.reason = DIED_SENDING
        return entry

    def _in_flight(self, take_key: str) -> bool:
        return self.takes.in_use(take_key) or not self.file.locks.probe(offset_of(take_key))

    async def problems(self) -> list[str]:
        index = await asyncio.to_thread(self.file.catch_up)
        if not index.damaged_lines:
            return []
        return [f"{index.damaged_lines} damaged line(s) skipped in {self.path}", *index.damage]

    # --- claiming --------------------------------------------------------------------------

    async def claim(
        self, take: Take, *, model: str, summary: str = "", charge: Charge | None = None
    ) -> Decision:
        key = take.key
        await self.takes.hold(key)
        try:
            entry = await finish(asyncio.to_thread(self._check, key))
            if entry is None and take.legacy is not None:
                entry = await finish(asyncio.to_thread(self._carry, take, summary[:160]))
            if entry is not None and (entry.state.reusable or entry.state.blocks_resend):
                self.takes.let_go(key)
                return Decision(None, self._as_seen(entry))
            record: dict[str, Any] = {
                "event": "sending",
                "take": key,
                "account": take.account,
                "model": model,
                "seed": take.seed,
                "slot": take.slot,
                "summary": summary[:160],
                "time": time.time(),
            }
            if take.started_when_queued:
                record["started_when_queued"] = True
            if take.asked:
                record[REQUEST] = take.asked
            try:
                # Priced, and within the account's budget under the account's lock (or refused).
                await finish(asyncio.to_thread(append_sending, self.file, record, charge))
            except asyncio.CancelledError:
                # The record may be on disk, and nothing was sent: say so before the cancel
                # goes on, or the take would read as "may have been charged" forever.
                await finish(asyncio.to_thread(void_unsent_record, self.file, key))
                raise
        except BaseException:
            self.takes.let_go(key)
            raise
        return Decision(FileClaim(self, take), entry)

    def _check(self, key: str) -> Entry | None:
        """The take's entry under its lock; a SENDING left by a dead process becomes UNKNOWN
        in the journal too, so every process and list tells the same story."""
        entry = self._one(lambda index: index.row_of(key))
        if entry is None or entry.state is not TakeState.SENDING:
            return entry
        reason = DIED_SENDING
        self.file.append({"event": "unknown", "take": key, "reason": reason, "time": time.time()})
        return self._one(lambda index: index.row_of(key))

    def _carry(self, take: Take, summary: str) -> Entry | None:
        """A first-format take of the same request and seed (`upgrade`: that format knew no
        account): its task, or its unknown outcome, becomes this take's, so a journal of that
        format never makes the pack pay again or resend blindly. Failed ones stay where they are."""
        with self.file.mutex:
            index = self.file.catch_up()
            row = index.legacy.get((take.legacy or "", take.seed))
            if row is None or index.row_of(unpack(index.key[row])) != row:
                return None
            state = index.state_of(row)
            if not (state.reusable or state.blocks_resend):
                return None
            record = {
                "event": "carried",
                "take": take.key,
                "from": unpack(index.key[row]),
                "account": take.account,
                "slot": take.slot,
                "summary": summary,
                "time": time.time(),
            }
            self.file.append(record)
        return self._one(lambda index: index.row_of(take.key))

    # --- the user's decisions, and compaction ----------------------------------------------

    async def named_take(self, take_key: str) -> Entry:
        key = await asyncio.to_thread(self._resolve, take_key)
        entry = await asyncio.to_thread(self._one, lambda index: index.row_of(key))
        if entry is None:  # a pasted id forgotten since it was resolved
            one_take(take_key, [], f"the journal {self.path}")  # raises: no such take
        assert entry is not None
        return self._as_seen(entry)

    async def adopt(self, take_key: str, task_id: str) -> Entry:
        return await self._decide(take_key, {"event": "adopted", "task_id": task_id})

    async def forget(self, take_key: str) -> Entry:
        return await self._decide(take_key, {"event": "forgotten"})

    async def _decide(self, take_key: str, record: dict[str, Any]) -> Entry:
        key = await asyncio.to_thread(self._resolve, take_key)
        await self.takes.hold(key)
        try:
            record.update(take=key, time=time.time())
            before = await asyncio.to_thread(self._one, lambda index: index.row_of(key))
            await finish(asyncio.to_thread(append_decision, self.file, record))
            entry = await asyncio.to_thread(self._one, lambda index: index.row_of(key))
            if entry is None and before is not None:  # a pasted id forgotten: no longer listed
                return dropped(before)
            assert entry is not None  # just written
            return entry
        finally:
            self.takes.let_go(key)

    def _resolve(self, prefix: str) -> str:
        """A take key from its first characters (as `freesora tasks` shows them)."""
        prefix = prefix.strip()
        with self.file.mutex:
            index = self.file.catch_up()
            if index.row_of(prefix) is not None:
                found = [prefix]
            elif len(prefix) >= MIN_TAKE_PREFIX:
                found = [key for key in map(unpack, index.rows) if _named(key, prefix)]
            else:
                found = []
        return one_take(prefix, found, f"the journal {self.path}", journal_flags(self.path))

    async def remember(self, task_id: str, *, model: str = "", summary: str = "") -> Entry:
        known = await self.find_task(task_id)
        if known is not None:
            return known
        record = {
            "event": "adopted",
            "take": PASTED + task_id,
            "task_id": task_id,
            "model": model,
            "summary": summary[:160],
            "time": time.time(),
        }
        await finish(asyncio.to_thread(self.file.append, record))
        entry = await self.find_task(task_id)
        assert entry is not None  # just written
        return entry

    async def record_outcome(
        self,
        task_id: str,
        state: TakeState,
        *,
        url: str | None = None,
        file: str | None = None,
        reason: str | None = None,
        credits_refunded: bool | None = None,
    ) -> None:
        record: dict[str, Any] = {
            "event": "finished",
            "task_id": task_id,
            "status": state.value,
            "time": time.time(),
        }
        record.update({k: v for k, v in (("url", url), ("file", file), ("reason", reason)) if v})
        if credits_refunded is not None:
            record["credits_refunded"] = credits_refunded
        await finish(asyncio.to_thread(self.file.append, record))

    async def spent(self, account: str) -> Spending:
        return await asyncio.to_thread(spent_now, self.file, account)

    async def unrefunded(self, account: str, *, limit: int) -> list[Entry]:
        def pick(index: Index) -> list[int]:
            since = time.time() - BUDGET_WINDOW_S
            rows = [
                row
                for row in index.charged.get(account, [])
                if index.state[row] in _REFUNDABLE
                and index.refunded[row] != REFUND_CODE[True]
                and index.task[row] is not None
                and index.created[row] > since
                and index.price[row] > 0
            ]
            rows.sort(key=index.created.__getitem__, reverse=True)
            return rows[: max(0, limit)]

        return await asyncio.to_thread(self.file.entries, pick)

    async def compact(self) -> int:
        return await finish(asyncio.to_thread(self.file.compact))

    async def close(self) -> None:
        """Nothing to flush (every record is fsynced); the lock file stays open for the process."""


def _chosen(
    index: Index, only_unfinished: bool, model: str | None, *, ordered: bool = True
) -> list[int]:
    """The rows `entries` lists, newest first (a take's attempts in the order made)."""
    rows = index.current()
    if model is not None:
        rows = [row for row in rows if index.model[row] == model]
    if only_unfinished:
        rows = [row for row in rows if index.state[row] not in _FINISHED]
    if ordered:
        rows.sort(key=index.created.__getitem__, reverse=True)
    return rows


def _named(key: str, prefix: str) -> bool:
    return key.startswith(prefix) or key.split(":", 1)[-1].startswith(prefix)


__all__ = ["DIED_SENDING", "FileLedger", "logger", "shared_file_ledger"]
