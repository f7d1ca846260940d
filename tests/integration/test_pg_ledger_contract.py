"""The PostgreSQL store keeps the same ledger contract as the file store (one suite, two stores)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from budget_contract import BudgetContract
from ledger_contract import LedgerContract, MakeLedger
from ledger_contract_corners import CornerContract

from freesora.ledger.postgres import PostgresLedger


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
