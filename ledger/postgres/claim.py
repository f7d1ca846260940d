"""A held claim of the PostgreSQL store, and the writes a cancel must not drop.

A held claim's own connection holds the take's advisory lock. Settling writes the outcome and
lets the lock go on that connection; when the database restarted under the claim, the outcome is
written on a fresh one (the lock went with the old session).

Cancelled in the middle of a write (a node cancelled, the loop shutting down), the store still
writes what it began: outlived (`ledger.outlive`), bounded, on the claim's own session while it
lives (it still holds the take's lock), else on a fresh connection of its own (the pool's workers
may be cancelled too). A psycopg cancel lets a statement the server already ran stand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import psycopg

from ...errors import FreeSoraError, LedgerError
from ...schemas.account_limits import AccountLimits
from ..admission import Verdict
from ..contract import NOT_SENT, Take, TakeState, unrecorded_task
from ..outlive import outlive
from . import rows
from .admission import try_admit
from .failures import failure
from .locks import advisory_key
from .schema import DB_NOW

logger = logging.getLogger(__name__)
Conn = psycopg.AsyncConnection[Any]
CANCEL_WRITE_S = 15.0  # how long a write after a cancel may take before it is given up
FRESH_AFTER_CANCEL = (
    "FreeSora created task %s (take %s); cancelled while recording it: writing it again"
)
VOID_UNSENT = (
    f"UPDATE freesora.takes SET state = 'refused', reason = %s, updated_at = {DB_NOW}"
    " WHERE take_key = %s AND state = 'sending' AND holder_pid = %s AND created_at >= %s"
)


class _Store(Protocol):
    url: str
    where: str

    def describe(self, exc: BaseException) -> str: ...

    def failed(self, exc: psycopg.Error) -> LedgerError: ...

    async def give_back_connection(self, conn: Conn, *, broken: bool = False) -> None: ...

    async def run(self, work: Callable[[Conn], Awaitable[Any]]) -> Any: ...


class PgClaim:
    """A held claim: its own connection holds the take's advisory lock until settled."""

    def __init__(self, store: _Store, take: Take, row_id: int, conn: Conn) -> None:
        self.take = take
        self.row_id = row_id
        self._store = store
        self._conn: Conn | None = conn

    async def created(self, task_id: str) -> None:
        fields = {"state": TakeState.CREATED.value, "task_id": task_id, "held_back": False}
        try:
            await self._settle(fields)
        except (FreeSoraError, psycopg.Error) as exc:
            why = str(exc) if isinstance(exc, FreeSoraError) else self._store.describe(exc)
            logger.error("FreeSora created task %s but could not record it: %s", task_id, why)
            adopt = f"`freesora tasks adopt {self.take.key} {task_id}`"
            raise unrecorded_task(task_id, why, f"when the database is back, run {adopt}") from None

    async def refused(self, reason: str) -> None:
        await self._settle({"state": TakeState.REFUSED.value, "reason": reason})

    async def unknown(self, reason: str) -> None:
        await self._settle({"state": TakeState.UNKNOWN.value, "reason": reason})

    async def admit(self, limits: AccountLimits, now: float) -> Verdict:
        """Admission on the claim's own connection: proof that the take is still held (after
        a database restart it is not, and nothing may be sent)."""
        if self._conn is None:
            raise RuntimeError("admission of a settled claim")
        try:
            return await try_admit(self._conn, self.take.account, self.row_id, limits, now)
        except psycopg.OperationalError as exc:
            raise LedgerError(
                f"the shared ledger at {self._store.where} went away while this create waited "
                f"for a slot ({self._store.describe(exc)}); nothing was sent. Run it again."
            ) from None
        except psycopg.Error as exc:
            error = self._store.failed(exc)
            error.message += "; nothing was sent"
            raise error from None

    async def release(self) -> None:
        """Nothing was sent (e.g. cancelled while waiting for a slot): the attempt is void."""
        if self._conn is not None:
            await self._settle({"state": TakeState.REFUSED.value, "reason": NOT_SENT})

    async def _settle(self, fields: dict[str, Any]) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            raise RuntimeError("a claim is settled exactly once")
        outcome = dict(fields)
        clean = lost = False
        cancelled: asyncio.CancelledError | None = None
        try:
            await rows.settle(conn, self.row_id, outcome)
            await conn.execute("SELECT pg_advisory_unlock(%s)", (advisory_key(self.take.key),))
            clean = True
        except psycopg.OperationalError:
            lost = True  # the database restarted under the claim: its lock went with it
        except psycopg.Error as exc:  # refused: the row still says SENDING (unknown)
            raise self._store.failed(exc) from None
        except asyncio.CancelledError as exc:  # e.g. the loop shutting down mid-write
            cancelled = exc
            if "task_id" in fields:  # said first: whatever happens next, the id is out
                logger.error(FRESH_AFTER_CANCEL, fields["task_id"], self.take.key[:12])
        finally:
            # Any other failure (a refused write, a cancel) closes the session too: that drops
            # the take's lock, so other workers' claims of it go on (the row reads as unknown).
            await self._store.give_back_connection(conn, broken=not clean)
        if cancelled is not None:  # the write may be lost: done again, shielded and bounded
            await self._after_cancel(fields, outcome)
            raise cancelled
        if lost:  # write the outcome on a fresh connection (the row still says SENDING: unknown)
            await self._store.run(lambda fresh: rows.settle(fresh, self.row_id, outcome))

    async def _after_cancel(self, fields: dict[str, Any], outcome: dict[str, Any]) -> None:
        url = self._store.url
        what = f"the outcome of take {self.take.key[:12]}"
        settle = _on_fresh(url, lambda fresh: rows.settle(fresh, self.row_id, outcome))
        if await write_after_cancel(settle, what, url):
            return
        if "task_id" in fields:
            logger.error(
                "FreeSora task %s was created (and charged) but not recorded; keep this id: "
                "`freesora tasks adopt %s %s` records it",
                fields["task_id"],
                self.take.key,
                fields["task_id"],
            )


async def write_after_cancel(write: Awaitable[Any], what: str, url: str) -> bool:
    """`write` run to its end though we are cancelled meanwhile (bounded); True once done. A
    failure is logged, not raised: the cancel (or the error being raised) goes on after."""
    done = (await outlive(write, within_s=CANCEL_WRITE_S)).future
    error = None if done.cancelled() else done.exception()
    if error is None and not done.cancelled():
        return True
    said = "cancelled" if error is None else failure(error, url)
    if isinstance(error, asyncio.TimeoutError):
        said = f"no answer within {CANCEL_WRITE_S:g} s"
    logger.error("FreeSora could not record %s after a cancel (%s)", what, said)
    return False


async def _on_fresh(url: str, work: Callable[[Conn], Awaitable[Any]]) -> None:
    """`work` on a fresh connection of its own, made for it and closed after."""
    async with await psycopg.AsyncConnection.connect(
        url, autocommit=True, connect_timeout=int(CANCEL_WRITE_S)
    ) as fresh:
        await work(fresh)


async def void_unsent_row(conn: Conn, url: str, take_key: str, pid: int, since: float) -> None:
    """A claim cancelled while its SENDING row was written (`pid` its session, `since` the
    database's clock as it asked for the take's lock, before its row could be written): the row,
    if it is there, still SENDING and the claim's own, is made void as a claim is when nothing
    was sent."""
    params = (NOT_SENT, take_key, pid, since)
    if not conn.closed:
        try:
            await conn.execute(VOID_UNSENT, params)
            return
        except psycopg.Error:
            pass  # its session is gone, and the take's lock with it: on a fresh one
    await _on_fresh(url, lambda fresh: fresh.execute(VOID_UNSENT, params))
