"""More of the contract every ledger store keeps: the corners (see `contracts.ledger`).

A store's test module subclasses `CornerContract` beside `LedgerContract`, with the same
`make_ledger` fixture.
"""

from __future__ import annotations

import pytest

from contracts.ledger import MODEL, MakeLedger, create, take
from freesora.errors import AdoptRefusedError
from freesora.ledger import TakeState
from freesora.ledger.upgrade import COLLECTED_AGAIN


class CornerContract:
    async def test_adopting_an_id_another_take_holds_is_refused_clearly_and_changes_nothing(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        await create(ledger, take(slot=0), "t1")
        decision = await ledger.claim(take(slot=1), model=MODEL)
        assert decision.claim is not None
        await decision.claim.unknown("timed out")
        with pytest.raises(
            AdoptRefusedError, match=f"t1 is already recorded for take {take().key[:12]}"
        ) as caught:
            await ledger.adopt(take(slot=1).key, "t1")
        assert caught.value.reason == "held"
        for reader in (ledger, await make_ledger()):
            blocked = await reader.lookup(take(slot=1))
            assert blocked is not None
            assert (blocked.state, blocked.task_id) == (TakeState.UNKNOWN, None)
            assert [e.task_id for e in await reader.entries()].count("t1") == 1

    @pytest.mark.parametrize("status", [403, 404, 410])
    async def test_a_take_an_earlier_version_wrote_off_when_its_link_expired_is_reused(
        self, make_ledger: MakeLedger, status: int
    ) -> None:
        # Earlier versions recorded a download refused 403/404/410 after the service said
        # succeeded as the task failing: the task exists and is paid; collect it again.
        ledger = await make_ledger()
        await create(ledger, take(), "t-old")
        await ledger.record_outcome(
            "t-old", TakeState.FAILED, reason=f"its video expired (HTTP {status})"
        )
        for reader in (ledger, await make_ledger()):
            decision = await reader.claim(take(), model=MODEL)
            assert decision.claim is None, "a paid task that succeeded must not be paid again"
            assert decision.earlier is not None
            assert (decision.earlier.state, decision.earlier.task_id) == (
                TakeState.CREATED,
                "t-old",
            )
            [listed] = await reader.entries(only_unfinished=True)  # still to collect
            assert listed.task_id == "t-old"
            assert await reader.count(only_unfinished=True) == 1
            found = await reader.find_task("t-old")
            assert found is not None
            assert found.state is TakeState.CREATED
        await ledger.record_outcome("t-old", TakeState.SUCCEEDED, file="/out/t-old.mp4")
        found = await (await make_ledger()).find_task("t-old")
        assert found is not None
        assert (found.state, found.file) == (TakeState.SUCCEEDED, "/out/t-old.mp4")
        assert found.reason == COLLECTED_AGAIN  # never "expired" beside a video that was collected

    @pytest.mark.parametrize(
        "reason",
        ["moderation: the prompt was refused", "its video expired", "generation failed (code 501)"],
    )
    async def test_a_task_the_service_failed_stays_failed_and_is_created_anew(
        self, make_ledger: MakeLedger, reason: str
    ) -> None:
        ledger = await make_ledger()
        await create(ledger, take(), "t-failed")
        await ledger.record_outcome("t-failed", TakeState.FAILED, reason=reason)
        decision = await (await make_ledger()).claim(take(), model=MODEL)
        assert decision.claim is not None
        assert decision.earlier is not None
        assert (decision.earlier.state, decision.earlier.reason) == (TakeState.FAILED, reason)
        await decision.claim.created("t-new")
