"""More of the contract every ledger store keeps: the corners (see `ledger_contract`).

A store's test module subclasses `CornerContract` beside `LedgerContract`, with the same
`make_ledger` fixture.
"""

from __future__ import annotations

import pytest
from ledger_contract import MODEL, MakeLedger, create, take

from freesora.errors import LedgerError
from freesora.ledger.base import TakeState


class CornerContract:
    async def test_adopting_an_id_another_take_holds_is_refused_clearly_and_changes_nothing(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        await create(ledger, take(slot=0), "t1")
        decision = await ledger.claim(take(slot=1), model=MODEL)
        assert decision.claim is not None
        await decision.claim.unknown("timed out")
        with pytest.raises(LedgerError, match=f"t1 is already recorded for take {take().key[:12]}"):
            await ledger.adopt(take(slot=1).key, "t1")
        for reader in (ledger, await make_ledger()):
            blocked = await reader.lookup(take(slot=1))
            assert blocked is not None
            assert (blocked.state, blocked.task_id) == (TakeState.UNKNOWN, None)
            assert [e.task_id for e in await reader.entries()].count("t1") == 1
