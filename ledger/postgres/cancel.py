"""What the PostgreSQL store still writes when it is cancelled in the middle of a write (a node
cancelled, the loop shutting down): shielded, bounded, on the claim's own session while it
lives (it still holds the take's lock), else on a fresh connection of its own (the pool's
workers may be cancelled too). A psycopg cancel lets a statement the server already ran stand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import psycopg

from ..contract import NOT_SENT
from . import rows
from .failures import failure
from .schema import DB_NOW

logger = logging.getLogger(__name__)
Conn = psycopg.AsyncConnection[Any]
CANCEL_WRITE_S = 15.0  # how long a write after a cancel may take before it is given up
RELEASE_UNSENT = (
    f"UPDATE freesora.takes SET state = 'refused', reason = %s, updated_at = {DB_NOW}"
    " WHERE take_key = %s AND state = 'sending' AND holder_pid = %s AND created_at >= %s"
)


async def outlasting(write: Coroutine[Any, Any, None], what: str, url: str) -> bool:
    """`write` run to its end even if we are cancelled meanwhile (bounded); True once done. A
    failure is logged, not raised: the cancel (or the error being raised) goes on after."""
    work = asyncio.ensure_future(asyncio.wait_for(write, CANCEL_WRITE_S))
    work.add_done_callback(lambda done: done.cancelled() or done.exception())  # retrieved
    try:
        await asyncio.shield(work)
    except asyncio.CancelledError:
        if not work.done():
            await asyncio.wait([work])
    except Exception:  # told below
        pass
    error = None if work.cancelled() else work.exception()
    if error is None and not work.cancelled():
        return True
    said = "cancelled" if error is None else failure(error, url)
    if isinstance(error, asyncio.TimeoutError):
        said = f"no answer within {CANCEL_WRITE_S:g} s"
    logger.error("FreeSora could not record %s after a cancel (%s)", what, said)
    return False


async def on_fresh(url: str, sql: str, params: Any) -> None:
    async with await psycopg.AsyncConnection.connect(
        url, autocommit=True, connect_timeout=int(CANCEL_WRITE_S)
    ) as fresh:
        await fresh.execute(sql, params)


async def release_unsent(conn: Conn, url: str, take_key: str, pid: int, since: float) -> None:
    """A claim cancelled while its SENDING row was written (`pid` its session, `since` the
    database's clock as it asked for the take's lock, before its row could be written): the row,
    if it is there, still SENDING and the claim's own, is released as a claim is when nothing
    was sent."""
    params = (NOT_SENT, take_key, pid, since)
    if not conn.closed:
        try:
            await conn.execute(RELEASE_UNSENT, params)
            return
        except psycopg.Error:
            pass  # its session is gone, and the take's lock with it: on a fresh one
    await on_fresh(url, RELEASE_UNSENT, params)


async def settle_fresh(url: str, row_id: int, outcome: dict[str, Any]) -> None:
    """A claim's outcome (`rows.settle`) written on a fresh connection of its own."""
    async with await psycopg.AsyncConnection.connect(
        url, autocommit=True, connect_timeout=int(CANCEL_WRITE_S)
    ) as fresh:
        await rows.settle(fresh, row_id, outcome)
