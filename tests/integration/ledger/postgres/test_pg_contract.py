"""The PostgreSQL store keeps the same ledger contract as the file store (one suite, two stores)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from contracts.budget import BudgetContract
from contracts.corners import CornerContract
from contracts.ledger import LedgerContract, MakeLedger

from freesora.ledger import PostgresLedger


class TestPostgresLedger(LedgerContract, BudgetContract, CornerContract):
    @pytest.fixture
    async def make_ledger(self, pg_url: str) -> AsyncIterator[MakeLedger]:
        opened: list[PostgresLedger] = []

        async def make() -> PostgresLedger:
            opened.append(await PostgresLedger.connect(pg_url, max_size=4))
            return opened[-1]

        yield make
        for ledger in opened:
            await ledger.close()
