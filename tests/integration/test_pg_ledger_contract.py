"""The PostgreSQL store keeps the same ledger contract as the file store (one suite, two stores)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from budget_contract import BudgetContract
from ledger_contract import LedgerContract, MakeLedger

from freesora.ledger.postgres import PostgresLedger


class TestPostgresLedger(LedgerContract, BudgetContract):
    @pytest.fixture
    async def make_ledger(self, pg_url: str) -> AsyncIterator[MakeLedger]:
        opened: list[PostgresLedger] = []

        async def make() -> PostgresLedger:
            opened.append(await PostgresLedger.connect(pg_url, max_size=4))
            return opened[-1]

        yield make
        for ledger in opened:
            await ledger.close()


async def test_adopting_an_id_another_take_holds_is_refused_clearly_and_changes_nothing(
    pg_url: str,
) -> None:
    """The file store lists such an id twice; the database's unique index holds one task id
    to one row, so the store says which take holds it (not a raw UniqueViolation)."""
    from ledger_contract import create, take

    from freesora.errors import LedgerError
    from freesora.ledger.base import TakeState

    ledger = await PostgresLedger.connect(pg_url, max_size=4)
    try:
        await create(ledger, take(slot=0), "t1")
        decision = await ledger.claim(take(slot=1), model="sora-2-text-to-video")
        assert decision.claim is not None
        await decision.claim.unknown("timed out")
        with pytest.raises(LedgerError, match=f"t1 is already recorded for take {take().key[:12]}"):
            await ledger.adopt(take(slot=1).key, "t1")
        blocked = await ledger.lookup(take(slot=1))
        assert blocked is not None
        assert (blocked.state, blocked.task_id) == (TakeState.UNKNOWN, None)
    finally:
        await ledger.close()
