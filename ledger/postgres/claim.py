"""A held claim of the PostgreSQL store: its own connection holds the take's advisory lock.

Settling writes the outcome and lets the lock go on that connection; when the database restarted
under the claim, the outcome is written on a fresh one (the lock went with the old session).
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
from ..contract import NOT_SENT, Take, TakeState
from . import rows
from .cancel import outlasting, settle_fresh
from .rows import advisory_key

logger = logging.getLogger(__name__)
Conn = psycopg.AsyncConnection[Any]
FRESH_AFTER_CANCEL = (
    "FreeSora created task %s (take %s); cancelled while recording it: writing it again"
)


class _Store(Protocol):
    url: str
    where: str

    def describe(self, exc: BaseException) -> str: ...

    def failed(self, exc: psycopg.Error) -> LedgerError: ...

    async def release(self, conn: Conn, *, broken: bool = False) -> None: ...

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
            raise LedgerError(
                f"Task {task_id} was created (and charged) but the shared ledger could not "
                f"record it ({why}). Keep this id: when the database is back, run "
                f"`freesora tasks adopt {self.take.key} {task_id}`.",
                task_id=task_id,
            ) from None

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
            return await rows.try_admit(self._conn, self.take.account, self.row_id, limits, now)
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
            await self._store.release(conn, broken=not clean)
        if cancelled is not None:  # the write may be lost: done again, shielded and bounded
            await self._after_cancel(fields, outcome)
            raise cancelled
        if lost:  # write the outcome on a fresh connection (the row still says SENDING: unknown)
            await self._store.run(lambda fresh: rows.settle(fresh, self.row_id, outcome))

    async def _after_cancel(self, fields: dict[str, Any], outcome: dict[str, Any]) -> None:
        url = self._store.url
        what = f"the outcome of take {self.take.key[:12]}"
        if await outlasting(settle_fresh(url, self.row_id, outcome), what, url):
            return
        if "task_id" in fields:
            logger.error(
                "FreeSora task %s was created (and charged) but not recorded; keep this id: "
                "`freesora tasks adopt %s %s` records it",
                fields["task_id"],
                self.take.key,
                fields["task_id"],
            )
