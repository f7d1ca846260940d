"""A cancel (ComfyUI's executor cancelling a pending node) that lands while the SENDING row is
being inserted: the take was never sent, so it must never read as "may have been charged".

Real server, real cancel: another session's table lock holds the INSERT; with the event loop
held (nothing runs on it), that lock is let go, the INSERT commits and its answer waits in the
claim's socket; then the claim is cancelled, before it could read that answer.
"""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest

from freesora.ledger import PostgresLedger, Take, TakeState
from freesora.sandbox import SANDBOX_KEY

MODEL = "sora-2-text-to-video"
STUCK_S = 30  # a guard against waiting forever, not a timing: each step takes ms


async def waiting_insert(url: str) -> int:
    """The backend whose INSERT into the takes waits on a lock (bounded wait)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for _ in range(STUCK_S * 40):
            cursor = await conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'INSERT INTO freesora.takes%'"
            )
            found = await cursor.fetchone()
            if found is not None:
                return int(found[0])
            await asyncio.sleep(0.025)
    raise AssertionError("the claim's INSERT never waited on the lock")


def committed_rows(url: str, take: Take) -> int:
    """With the loop held: wait (bounded) until the claim's row is committed."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(STUCK_S * 40):
            found = conn.execute(
                "SELECT count(*) FROM freesora.takes WHERE take_key = %s", (take.key,)
            ).fetchone()
            if found is not None and found[0]:
                return int(found[0])
            time.sleep(0.025)  # the loop is held on purpose: the claim must not read its answer
    raise AssertionError("the claim's INSERT did not commit")


def end_backend(url: str, pid: int) -> None:
    """With the loop held: the backend ends for real (bounded wait until it is gone)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(STUCK_S * 40):
            found = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
            if found.fetchone() == (0,):
                return
            time.sleep(0.025)
    raise AssertionError(f"backend {pid} did not end")


@pytest.mark.parametrize("session", ["alive", "ended"])
async def test_a_cancel_while_the_sending_row_is_inserted_leaves_the_take_free(
    pg_url: str, pg_ledger: PostgresLedger, pg_other: PostgresLedger, session: str
) -> None:
    take = Take(await pg_ledger.account("default", SANDBOX_KEY), "req", seed=3)
    with psycopg.connect(pg_url) as blocker:
        blocker.execute("LOCK TABLE freesora.takes IN SHARE MODE")  # reads go on, INSERTs wait
        claiming = asyncio.ensure_future(pg_ledger.claim(take, model=MODEL))
        pid = await waiting_insert(pg_url)
        blocker.commit()  # the loop is held from here until the cancel
        assert committed_rows(pg_url, take) == 1
        if session == "ended":  # the claim's session dies too: released on a fresh one
            end_backend(pg_url, pid)
        claiming.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(claiming, STUCK_S)
    [entry] = await pg_other.entries()  # what every other worker sees
    assert (entry.state, entry.reason) == (TakeState.REFUSED, "not sent")
    decision = await asyncio.wait_for(pg_other.claim(take, model=MODEL), STUCK_S)
    assert decision.claim is not None, "a take that was never sent must not block its slot"
    await decision.claim.release()
