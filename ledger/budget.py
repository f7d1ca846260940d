"""The daily budget's arithmetic over ledger entries: what counts as spent, and the refusal.

Pure (no I/O): each store calls `check` with the account's charges while it holds the lock that
spans the account (file store: the budget lock file; PostgreSQL: an advisory lock in the
claim's transaction), so two processes never pass the budget together.

What a take's price counts for, by its state:
- sending, created, succeeded: spent (in flight or made);
- unknown (and a sending whose claimant died), forgotten: spent, the safe side (the service
  may have charged it);
- failed, cancelled: spent unless the service said its credits came back
  (`credits_refunded: true` in check-result, kept as the entry's `credits_refunded`). When it
  never said, or said false, the pack assumes they did not: the credits count until a re-check
  (`ledger.refunds`) hears otherwise or the take leaves the window (docs/prices.md);
- refused: nothing (the service said no before charging, or nothing was sent).
A reused task makes no claim, so it costs nothing. Takes recorded without a price count 0.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from ..errors import BudgetExceededError
from ..schemas.pricing import BUDGET_WINDOW_S, shown
from .contract import Charge, Spending, TakeState

NEVER_CHARGED = frozenset({TakeState.REFUSED})
REFUNDABLE = frozenset({TakeState.FAILED, TakeState.CANCELLED})  # given back when said so


def counts_sql(refunded: str) -> str:
    """The same rule in SQL, for a store that sums in its database: a row that counts as spent,
    given its `state` column and `refunded`, an SQL text that is 'true' when the service said
    the credits came back."""
    return (
        f"state NOT IN ({', '.join(repr(s.value) for s in sorted(NEVER_CHARGED))})"
        f" AND NOT (state IN ({', '.join(repr(s.value) for s in sorted(REFUNDABLE))})"
        f" AND {refunded} IS NOT DISTINCT FROM 'true')"
    )


Charged = tuple[float, float, TakeState, bool | None]  # claimed at, price, state, refunded


def counts(state: TakeState, credits_refunded: bool | None = None) -> bool:
    """Whether a take in `state` keeps its price spent (`credits_refunded` as the service
    said at the task's end, None when it never said)."""
    if state in NEVER_CHARGED:
        return False
    return not (state in REFUNDABLE and credits_refunded is True)


def spending(charges: Iterable[Charged], now: float) -> Spending:
    """(claimed at, price, state, refunded) of an account's takes -> what the window holds at
    `now`."""
    since = now - BUDGET_WINDOW_S
    total, oldest = 0.0, None
    for claimed, price, state, refunded in charges:
        if claimed > since and price and counts(state, refunded):
            total += price
            oldest = claimed if oldest is None else min(oldest, claimed)
    return Spending(total, oldest)


def check(charge: Charge, spent: Spending) -> None:
    """Refuse a claim that would take the account past its budget (nothing is written)."""
    budget = charge.budget
    if budget is None or spent.credits + charge.price <= budget + 1e-9:
        return
    raise BudgetExceededError(
        budget_refusal(budget, spent, charge.price, charge.raise_hint),
        budget=budget,
        spent=spent.credits,
        price=charge.price,
    )


def budget_refusal(budget: float, spent: Spending, price: float, raise_hint: str) -> str:
    frees = ""
    if spent.oldest is not None:
        at = time.strftime("%Y-%m-%d %H:%M", time.localtime(spent.oldest + BUDGET_WINDOW_S))
        frees = f" The oldest of those credits leaves the 24-hour window at {at}."
    hint = f" To raise the budget: {raise_hint}." if raise_hint else ""
    return (
        f"Daily budget reached: this create costs ≈ {shown(price)} credits, and "
        f"{shown(spent.credits)} of the {shown(budget)}-credit daily budget were spent in the "
        f"last 24 hours. Nothing was sent.{frees}{hint}"
    )
