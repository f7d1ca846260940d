"""The daily budget's arithmetic: what counts as spent in the last 24 hours, and the refusal."""

from __future__ import annotations

import pytest

from freesora.errors import BudgetExceededError
from freesora.ledger import Charge, Spending, TakeState
from freesora.ledger.budget import check, counts, spending
from freesora.schemas.pricing import BUDGET_WINDOW_S

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("state", "refunded", "spent"),
    [
        (TakeState.SENDING, None, True),
        (TakeState.CREATED, None, True),
        (TakeState.SUCCEEDED, None, True),
        (TakeState.UNKNOWN, None, True),  # may be charged: the safe side
        (TakeState.FORGOTTEN, None, True),  # released by the user, still maybe charged
        # Failed or cancelled: given back only when the service says the credits came back.
        (TakeState.FAILED, True, False),
        (TakeState.FAILED, False, True),
        (TakeState.FAILED, None, True),  # the service never said: counted as spent
        (TakeState.CANCELLED, True, False),
        (TakeState.CANCELLED, False, True),
        (TakeState.CANCELLED, None, True),
        (TakeState.REFUSED, None, False),  # nothing was charged
    ],
)
def test_each_state_keeps_or_gives_back_its_price(
    state: TakeState, refunded: bool | None, spent: bool
) -> None:
    assert counts(state, refunded) is spent
    charges = [(NOW - 60, 100.0, state, refunded)]
    assert spending(charges, NOW).credits == (100.0 if spent else 0.0)


def test_only_the_last_24_hours_count_and_the_oldest_charge_is_named() -> None:
    charges = [
        (NOW - BUDGET_WINDOW_S - 1, 500.0, TakeState.SUCCEEDED, None),  # a day and a second ago
        (NOW - BUDGET_WINDOW_S + 10, 30.0, TakeState.SUCCEEDED, None),
        (NOW - 5, 45.0, TakeState.SENDING, None),
        (NOW - 3, 70.0, TakeState.FAILED, True),
    ]
    assert spending(charges, NOW) == Spending(75.0, NOW - BUDGET_WINDOW_S + 10)
    assert spending([], NOW) == Spending(0.0, None)


def test_a_create_that_fits_exactly_passes_and_one_credit_more_is_refused() -> None:
    check(Charge(25, 100), Spending(75.0, NOW))
    check(Charge(25, None), Spending(1e9, NOW))  # no budget: nothing is refused
    with pytest.raises(BudgetExceededError) as caught:
        check(Charge(26, 100, "set FREESORA_DAILY_BUDGET"), Spending(75.0, NOW))
    error = caught.value
    assert (error.budget, error.spent, error.price) == (100, 75.0, 26)
    text = str(error)
    assert "this create costs ≈ 26 credits" in text
    assert "75 of the 100-credit daily budget were spent in the last 24 hours" in text
    assert "Nothing was sent" in text
    assert "To raise the budget: set FREESORA_DAILY_BUDGET." in text


def test_a_zero_budget_refuses_every_priced_create_but_not_a_free_one() -> None:
    with pytest.raises(BudgetExceededError):
        check(Charge(1, 0), Spending())
    check(Charge(0, 0), Spending())
