"""The PostgreSQL store's side of account-wide admission (`ledger.admission` waits on it): one
transaction under the account's advisory lock counts the account's creates in flight and in the
window, and writes the verdict on the claim's row, so every worker of a farm sees it.
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row

from ...schemas.account_limits import AccountLimits
from ..admission import Verdict
from .locks import advisory_key

# Another claim counts while its backend lives (a reused pid over-counts for a moment: the
# safe side); pg_stat_activity is cheap to read, unlike pg_locks.
IN_FLIGHT = (
    "SELECT count(*) AS n FROM freesora.takes t WHERE t.account = %(account)s"
    " AND t.state IN ('sending', 'created') AND t.id <> %(id)s"
    " AND (t.state = 'created' OR (NOT t.held_back AND EXISTS (SELECT 1 FROM pg_stat_activity a"
    " WHERE a.pid = t.holder_pid)))"
)
RECENT = (
    "SELECT count(*) AS n, min(t.admitted_at) AS oldest FROM freesora.takes t"
    " WHERE t.account = %(account)s AND t.admitted_at > %(since)s AND t.id <> %(id)s"
)


async def try_admit(
    conn: Any, account: str, row_id: int, limits: AccountLimits, now: float
) -> Verdict:
    """Under the account's lock: admit this claim if the account has room, else hold it back."""
    params = {"account": account, "id": row_id, "since": now - limits.window_s}
    async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        # No fsync wait for this one: if a crash of the database lost it, the claim would
        # read as not held back (unknown: the safe side) and count a little less, never more.
        await cur.execute("SET LOCAL synchronous_commit TO OFF")
        await cur.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("account:" + account),))
        await cur.execute(IN_FLIGHT, params)
        in_flight = int((await cur.fetchone())["n"])
        await cur.execute(RECENT, params)
        counts = await cur.fetchone()
        recent = int(counts["n"])
        admitted = in_flight < limits.max_in_flight and recent < limits.creates_per_window
        await cur.execute(
            "UPDATE freesora.takes SET held_back = %s, admitted_at = %s WHERE id = %s",
            (not admitted, now if admitted else None, row_id),
        )
        recheck: list[str] = []
        if not admitted:
            await cur.execute(
                "SELECT task_id FROM freesora.takes WHERE account = %s AND state = 'created'"
                " AND task_id IS NOT NULL ORDER BY coalesce(admitted_at, created_at) LIMIT 3",
                (account,),
            )
            recheck = [r["task_id"] for r in await cur.fetchall()]
    oldest = counts["oldest"]
    wait = 0.0 if oldest is None else max(0.0, oldest + limits.window_s - now)
    return Verdict(admitted, in_flight, recent, recheck, wait)
