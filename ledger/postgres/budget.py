"""The PostgreSQL store's budget step: a take's SENDING row inserted only if the account's
budget holds, in one transaction under an advisory lock that spans the account (every worker
of the farm takes it), so two workers never pass the budget together.

The lock is a transaction lock: it goes with the commit (or the rollback of a refusal), never
held during a create. The arithmetic is `ledger.budget`'s, on the same states.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ...schemas.pricing import BUDGET_WINDOW_S
from ..budget import REFUNDABLE, check, counts_sql
from ..contract import Charge, Spending
from .schema import DB_NOW, REFUNDED

SPENT = (
    "SELECT coalesce(sum(price), 0) AS credits, min(created_at) AS oldest FROM freesora.takes t"
    " WHERE account = %s AND price IS NOT NULL AND price > 0"
    f" AND created_at > {DB_NOW} - {BUDGET_WINDOW_S} AND {counts_sql(REFUNDED)}"
)


# Failed or cancelled tasks of an account in the window whose refund was never said: what a
# re-check asks the service about (`ledger.refunds`). Read through `takes_account_charged`.
UNREFUNDED = (
    "SELECT t.*, false AS orphan FROM freesora.takes t"
    " WHERE account = %s AND price IS NOT NULL AND price > 0"
    f" AND created_at > {DB_NOW} - {BUDGET_WINDOW_S}"
    f" AND state IN ({', '.join(repr(s.value) for s in sorted(REFUNDABLE))})"
    f" AND {REFUNDED} IS DISTINCT FROM 'true' AND task_id IS NOT NULL"
    " ORDER BY created_at DESC, id DESC LIMIT %s"
)


async def within_budget(
    conn: Any,
    account: str,
    charge: Charge | None,
    lock_key: int,
    insert: Callable[[], Awaitable[int]],
) -> int:
    """`insert()` (the SENDING row) when there is no budget, or when the account's last 24
    hours plus this price fit it; else `BudgetExceededError` and nothing is written."""
    if charge is None or charge.budget is None:
        return await insert()
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
        check(charge, await spent(conn, account))
        return await insert()


async def spent(conn: Any, account: str) -> Spending:
    """What `account` spent in the last 24 hours of the database's clock (a sending row
    counts: in flight, or its worker died after sending)."""
    cursor = await conn.execute(SPENT, (account,))
    row = await cursor.fetchone()
    return Spending(float(row[0]), None if row[1] is None else float(row[1]))
