"""Every claim of the PostgreSQL store gives back its claim slot, its connection and its take's
lock, whatever ends it: a backend killed for real (pg_terminate_backend), a write refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from freesora.errors import LedgerError
from freesora.ledger import PostgresLedger, Take, TakeState
from freesora.ledger.postgres import rows
from freesora.sandbox import SANDBOX_KEY

MODEL = "sora-2-text-to-video"
# A pool of 4 leaves 2 claim slots (see PostgresLedger.__init__): 5 leaks would stop every
# later claim (slots) and every other query (connections).
POOL = 4
EVENTS = 5
# A guard against waiting forever on a leaked slot or lock, not a timing: each step takes ms.
STUCK_S = 30


@pytest.fixture
async def small(pg_url: str) -> AsyncIterator[PostgresLedger]:
    ledger = await PostgresLedger.connect(pg_url, max_size=POOL)
    yield ledger
    await ledger.close()


async def a_take(ledger: PostgresLedger, request: str = "req", slot: int = 0) -> Take:
    return Take(await ledger.account("default", SANDBOX_KEY), request, seed=7, slot=slot)


async def terminate(url: str, pid: int) -> None:
    """End backend `pid` from another session, and wait (bounded) until it is gone."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(400):
            cursor = await conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)
            )
            if (await cursor.fetchone())[0] == 0:  # type: ignore[index]
                return
            await asyncio.sleep(0.025)
    raise AssertionError(f"backend {pid} did not end")


async def test_a_backend_killed_right_after_a_reuse_decision_leaks_no_slot_or_connection(
    pg_url: str, small: PostgresLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await small.claim(await a_take(small), model=MODEL)
    assert first.claim is not None
    await first.claim.created("task-1")
    decided = rows.claim_locked

    async def decide_then_die(conn: Any, *args: Any) -> Any:
        found = await decided(conn, *args)  # the real decision, under the take's lock ...
        await terminate(pg_url, conn.info.backend_pid)  # ... then its backend ends for real
        return found

    monkeypatch.setattr(rows, "claim_locked", decide_then_die)
    for _ in range(EVENTS):
        decision = await asyncio.wait_for(small.claim(await a_take(small), model=MODEL), STUCK_S)
        assert decision.claim is None  # decided before the session died: the decision stands
        assert decision.earlier is not None
        assert decision.earlier.task_id == "task-1"
    monkeypatch.undo()
    fresh = await asyncio.wait_for(small.claim(await a_take(small, "new"), model=MODEL), STUCK_S)
    assert fresh.claim is not None
    await fresh.claim.created("task-2")
    assert {e.task_id for e in await small.entries()} == {"task-1", "task-2"}


async def test_a_create_answered_with_an_id_another_take_holds_frees_its_lock_and_slot(
    small: PostgresLedger, pg_other: PostgresLedger
) -> None:
    held = await small.claim(await a_take(small, "first"), model=MODEL)
    assert held.claim is not None
    await held.claim.created("task-1")
    for slot in range(EVENTS):
        decision = await asyncio.wait_for(
            small.claim(await a_take(small, "second", slot), model=MODEL), STUCK_S
        )
        assert decision.claim is not None
        with pytest.raises(LedgerError) as caught:
            await decision.claim.created("task-1")  # the database's unique index refuses it
        assert caught.value.task_id == "task-1"
        assert "adopt" in str(caught.value)
        # Another worker's claim of that take no longer waits on a lock nobody gives back,
        # and it may not send again: a task was created, its record is what failed.
        again = await asyncio.wait_for(
            pg_other.claim(await a_take(pg_other, "second", slot), model=MODEL), STUCK_S
        )
        assert again.claim is None
        assert again.earlier is not None
        assert again.earlier.state is TakeState.UNKNOWN
    assert await asyncio.wait_for(small.count(), STUCK_S) == 1 + EVENTS
