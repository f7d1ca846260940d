"""The file store keeps the ledger contract (the PostgreSQL store runs the same suite)."""

from __future__ import annotations

from pathlib import Path

import pytest
from contracts.budget import BudgetContract
from contracts.corners import CornerContract
from contracts.ledger import LedgerContract, MakeLedger

from freesora.ledger import FileLedger


class TestFileLedger(LedgerContract, BudgetContract, CornerContract):
    @pytest.fixture
    def make_ledger(self, tmp_path: Path) -> MakeLedger:
        async def make() -> FileLedger:
            return FileLedger(tmp_path / "tasks.jsonl")

        return make
