"""The budget part of the ledger contract, kept by every store (file, PostgreSQL): a take's
price recorded with it, and a claim refused, atomically, when it would pass the daily budget.

Mixed into each store's `LedgerContract` test class (it uses the same `make_ledger` fixture).
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from contracts.ledger import MODEL, MakeLedger, take
from freesora.config import MAX_CREDITS
from freesora.errors import BudgetExceededError
from freesora.ledger import Charge, Take, TakeState


def account() -> str:
    return "default:" + uuid.uuid4().hex  # a farm's database outlives one test


def priced(price: float, budget: float | None = 100) -> Charge:
    """A claim's charge; budget None: the price is recorded, nothing is refused."""
    return Charge(price, budget, "set FREESORA_DAILY_BUDGET")


class BudgetContract:
    async def test_a_takes_price_is_recorded_with_it_and_read_back_after_a_restart(
        self, make_ledger: MakeLedger
    ) -> None:
        one = take(account=account())
        decision = await (await make_ledger()).claim(one, model=MODEL, charge=priced(45.5))
        assert decision.claim is not None
        await decision.claim.created("t-priced-" + uuid.uuid4().hex[:8])
        entry = await (await make_ledger()).lookup(one)
        assert entry is not None
        assert entry.price == 45.5
        unpriced = take(account=account())
        claimed = await (await make_ledger()).claim(unpriced, model=MODEL)
        assert claimed.claim is not None
        await claimed.claim.refused("no")
        found = await (await make_ledger()).lookup(unpriced)
        assert found is not None
        assert found.price is None

    @pytest.mark.parametrize("price", [0.5, float(MAX_CREDITS)])
    async def test_any_price_the_config_accepts_is_read_back_and_blocks_a_resend(
        self, make_ledger: MakeLedger, price: float
    ) -> None:
        who = account()
        decision = await (await make_ledger()).claim(
            take(account=who), model=MODEL, charge=priced(price, None)
        )
        assert decision.claim is not None
        await decision.claim.unknown("killed after sending")  # the answer was lost
        restarted = await make_ledger()
        again = await restarted.claim(take(account=who), model=MODEL, charge=priced(price, None))
        assert again.claim is None  # the take may be charged: never sent again
        assert again.earlier is not None
        assert (again.earlier.state, again.earlier.price) == (TakeState.UNKNOWN, price)
        assert (await restarted.spent(who)).credits == price

    async def test_a_claim_that_would_pass_the_budget_is_refused_and_writes_nothing(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger, who = await make_ledger(), account()
        first = await ledger.claim(take(account=who), model=MODEL, charge=priced(60))
        assert first.claim is not None
        await first.claim.created("t-" + uuid.uuid4().hex[:8])
        second = take(seed=2, account=who)
        with pytest.raises(BudgetExceededError) as caught:
            await ledger.claim(second, model=MODEL, charge=priced(45))
        assert (caught.value.budget, caught.value.spent, caught.value.price) == (100, 60, 45)
        assert await (await make_ledger()).lookup(second) is None
        assert (await ledger.spent(who)).credits == 60
        # Another account has a budget of its own; the take fits at a lower price.
        assert (await ledger.claim(take(account=account()), model=MODEL, charge=priced(45))).claim
        fits = await ledger.claim(second, model=MODEL, charge=priced(40))
        assert fits.claim is not None
        await fits.claim.unknown("answer lost")  # an unknown outcome stays spent
        assert (await ledger.spent(who)).credits == 100

    async def test_a_failed_or_refused_take_gives_its_credits_back(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger, who = await make_ledger(), account()
        task_id = "t-fail-" + uuid.uuid4().hex[:8]
        made = await ledger.claim(take(account=who), model=MODEL, charge=priced(80))
        assert made.claim is not None
        await made.claim.created(task_id)
        with pytest.raises(BudgetExceededError):
            await ledger.claim(take(seed=2, account=who), model=MODEL, charge=priced(80))
        await ledger.record_outcome(
            task_id, TakeState.FAILED, reason="moderation", credits_refunded=True
        )
        assert (await ledger.spent(who)).credits == 0
        refused = await ledger.claim(take(seed=2, account=who), model=MODEL, charge=priced(80))
        assert refused.claim is not None
        await refused.claim.refused("the service said no")
        again = await ledger.claim(take(seed=3, account=who), model=MODEL, charge=priced(80))
        assert again.claim is not None
        await again.claim.release()

    @pytest.mark.parametrize("end", [TakeState.FAILED, TakeState.CANCELLED])
    async def test_a_failed_or_cancelled_take_stays_spent_until_the_service_says_refunded(
        self, make_ledger: MakeLedger, end: TakeState
    ) -> None:
        ledger, who = await make_ledger(), account()
        kept, unsaid = "t-kept-" + uuid.uuid4().hex[:8], "t-unsaid-" + uuid.uuid4().hex[:8]
        for seed, task_id in ((1, kept), (2, unsaid)):
            made = await ledger.claim(take(seed=seed, account=who), model=MODEL, charge=priced(30))
            assert made.claim is not None
            await made.claim.created(task_id)
        await ledger.record_outcome(kept, end, reason="generation error", credits_refunded=False)
        await ledger.record_outcome(unsaid, end, reason="generation error")
        restarted = await make_ledger()
        assert (await restarted.spent(who)).credits == 60
        found = await restarted.find_task(kept)
        assert found is not None
        assert (found.state, found.credits_refunded) == (end, False)
        pending = await restarted.unrefunded(who, limit=10)
        assert [entry.task_id for entry in pending] == [unsaid, kept]  # newest first
        # A refund the service reports later gives the credits back, and is kept.
        await ledger.record_outcome(kept, end, credits_refunded=True)
        await ledger.record_outcome(kept, end)  # an end said again without the flag
        again = await make_ledger()
        assert (await again.spent(who)).credits == 30
        assert [entry.task_id for entry in await again.unrefunded(who, limit=10)] == [unsaid]
        assert await again.unrefunded(who, limit=0) == []
        assert await again.unrefunded(account(), limit=10) == []  # per account

    async def test_a_reused_task_costs_nothing_even_over_the_budget(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger, who = await make_ledger(), account()
        task_id = "t-reuse-" + uuid.uuid4().hex[:8]
        made = await ledger.claim(take(account=who), model=MODEL, charge=priced(100))
        assert made.claim is not None
        await made.claim.created(task_id)
        reused = await ledger.claim(take(account=who), model=MODEL, charge=priced(100))
        assert reused.claim is None
        assert reused.earlier is not None
        assert reused.earlier.task_id == task_id
        assert (await ledger.spent(who)).credits == 100

    async def test_concurrent_claims_of_one_account_never_pass_the_budget_together(
        self, make_ledger: MakeLedger
    ) -> None:
        who = account()
        handles = [await make_ledger(), await make_ledger()]

        async def one(seed: int) -> bool:
            one_take = Take(account=who, request="q" * 64, seed=seed)
            try:
                decision = await handles[seed % 2].claim(one_take, model=MODEL, charge=priced(30))
            except BudgetExceededError:
                return False
            assert decision.claim is not None
            await decision.claim.created(f"t-{who[-8:]}-{seed}")
            return True

        passed = await asyncio.gather(*(one(seed) for seed in range(8)))
        assert sum(passed) == 3  # 3 x 30 <= 100 < 4 x 30
        assert (await handles[0].spent(who)).credits == 90
