"""The `charge` record: a superseded attempt's price that compaction keeps for the daily budget.

Compaction lists one entry per take (and earlier attempts that had a task); an attempt that
was superseded without a task (an unknown outcome forgotten, then sent again) is dropped from
the lists, but its credits stay in the budget's window for a day: compaction writes them as
`charge` records, which the fold turns into rows that are never listed or looked up.
"""

from __future__ import annotations

from typing import Any

from ...schemas.pricing import BUDGET_WINDOW_S
from . import record_fields as field
from .index import Index, unpack


def charge(index: Index, record: dict[str, Any], at: int | None) -> None:
    """A superseded attempt's price kept by compaction for the budget: a row never listed."""
    take_state = field.state(record)
    account = field.text(record, "account") or ""
    price = field.price(record)
    key = field.text(record, "take") or ""
    index.add(key, account, "", None, 0, take_state, field.number(record, "time"), price=price)


def charge_records(index: Index, listed: set[int], now: float) -> list[dict[str, Any]]:
    """`charge` records of the priced rows compaction would drop that are still in the
    budget's window (a day and an hour: a little disorder in times is harmless)."""
    since = now - BUDGET_WINDOW_S - 3600
    records = []
    for rows in index.charged.values():
        for row in rows:
            if row in listed or index.created[row] <= since:
                continue
            records.append(
                {
                    "event": "charge",
                    "take": unpack(index.key[row]),
                    "account": index.account[row],
                    "time": index.created[row],
                    "price": index.price[row],
                    "state": index.state_of(row).value,
                }
            )
    return records
