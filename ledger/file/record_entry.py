"""The `entry` record: a compacted take, every field of its Entry in one line.

Compaction writes one per listed take (`entry_record`); the fold reads it back (`entry`) into a
row of the index, as the take's sending, created and finished records would have.
"""

from __future__ import annotations

import sys
from typing import Any

from ..contract import Entry, TakeState
from ..upgrade import COLLECTED_AGAIN, written_off_by_expired_link
from . import record_fields as field
from .index import Index

_ENTRY_FIELDS = ("reason", "url", "file", "summary")


def entry(index: Index, record: dict[str, Any], at: int | None) -> None:
    """A compacted take: every field of its Entry in one line."""
    take_state = field.state(record)
    seed, slot = field.seed(record), field.slot(record)
    for name in ("url", "file"):
        field.text(record, name, required=False)  # kept in the journal: checked, not read
    task_id = field.text(record, "task_id", required=False)
    summary = field.text(record, "summary", required=False) or ""
    reason, updated = field.text(record, "reason", required=False), field.number(record, "updated")
    if written_off_by_expired_link(take_state, reason):  # compacted with the write-off
        take_state, reason = TakeState.CREATED, COLLECTED_AGAIN
    fingerprint = field.text(record, "fingerprint", required=False)
    refunded = field.flag(record, "credits_refunded")
    price, unread = field.optional_price(record)
    row = index.add(
        field.text(record, "take") or "",
        field.text(record, "account", required=False) or "",
        field.text(record, "model", required=False) or "",
        seed,
        slot,
        take_state,
        field.number(record, "time"),
        summary=sys.intern(summary),
        task=task_id,
        price=price,
    )
    index.updated[row], index.reason[row] = updated, reason
    index.set_refunded(row, refunded)
    index.set_details(row, record, at)
    if fingerprint:  # a first-format take not carried over yet: still found by it
        index.legacy[(fingerprint, seed)] = row
    if record.get("earlier") is True:
        index.earlier.append(row)
        if task_id is not None:
            index.by_task.setdefault(task_id, row)
    else:
        index.start(row)
    if unread is not None:
        raise unread


def entry_record(entry: Entry, *, earlier: bool, fingerprint: str | None = None) -> dict[str, Any]:
    """The `entry` record compaction writes for one take (the inverse of `entry`)."""
    record: dict[str, Any] = {
        "event": "entry",
        "take": entry.take_key,
        "account": entry.account,
        "model": entry.model,
        "seed": entry.seed,
        "slot": entry.slot,
        "state": entry.state.value,
        "time": entry.created_at,
        "updated": entry.updated_at,
        "task_id": entry.task_id,
    }
    record.update({name: getattr(entry, name) for name in _ENTRY_FIELDS if getattr(entry, name)})
    if entry.price is not None:
        record["price"] = entry.price
    if entry.credits_refunded is not None:
        record["credits_refunded"] = entry.credits_refunded
    if earlier:
        record["earlier"] = True
    if fingerprint:
        record["fingerprint"] = fingerprint
    return record
