"""Create-exactly-once: the task ledger's contract, its stores and the fingerprint of a take.

This is the ledger's face: code outside `ledger/` imports from here, never from its modules.
The contract (`contract`: the `Ledger` and `Claim` every store keeps, a take and its states)
loads with the package; the rest on first use (PEP 562), so `freesora tasks` loads no
database driver, HTTP client or pydantic model it does not need. Inside `ledger/`, modules
import their siblings directly, never this face.

May import `schemas`, `errors` and `config`; never `service` (the ledger never speaks HTTP),
`create`, `collect`, `media` or `nodes`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .contract import (
    NOT_SENT,
    PASTED,
    Charge,
    Claim,
    Decision,
    Entry,
    Ledger,
    Spending,
    Take,
    TakeState,
    account_id,
    adoptable,
    forgettable,
    not_waiting,
    one_take,
    shown_take,
    still_sending,
    task_held_elsewhere,
)

# Loaded with the face (it needs only asyncio): a lazy name equal to its module's name would
# be the module itself once the module is imported.
from .outlive import outlive

if TYPE_CHECKING:
    from .admission import OnWait, Verdict, once, wait_for_slot
    from .commands import is_journal_file, journal_flags
    from .endings import ending_of_error, ending_of_status
    from .file import FileLedger
    from .fingerprint import request_hash, request_hashes
    from .listing import (
        excerpt,
        format_entry,
        newest_collectable,
        page_bounds,
        sent_parts,
        task_page,
        unknown_row,
        unknown_takes,
    )
    from .location import close_databases, ledger_location, open_ledger
    from .postgres import PostgresLedger
    from .refunds import claim_within_budget, recheck_refunds, refusal_after_recheck
    from .sent_request import kept_request

_LAZY = {
    "open_ledger": "location",
    "ledger_location": "location",
    "journal_flags": "commands",
    "is_journal_file": "commands",
    "close_databases": "location",
    "FileLedger": "file",
    "PostgresLedger": "postgres",
    "wait_for_slot": "admission",
    "once": "admission",
    "OnWait": "admission",
    "Verdict": "admission",
    "task_page": "listing",
    "page_bounds": "listing",
    "newest_collectable": "listing",
    "excerpt": "listing",
    "unknown_takes": "listing",
    "unknown_row": "listing",
    "sent_parts": "listing",
    "format_entry": "listing",
    "kept_request": "sent_request",
    "request_hash": "fingerprint",
    "request_hashes": "fingerprint",
    "ending_of_status": "endings",
    "ending_of_error": "endings",
    "claim_within_budget": "refunds",
    "recheck_refunds": "refunds",
    "refusal_after_recheck": "refunds",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "NOT_SENT",
    "PASTED",
    "Charge",
    "Claim",
    "Decision",
    "Entry",
    "FileLedger",
    "Ledger",
    "OnWait",
    "PostgresLedger",
    "Spending",
    "Take",
    "TakeState",
    "Verdict",
    "account_id",
    "adoptable",
    "claim_within_budget",
    "close_databases",
    "ending_of_error",
    "ending_of_status",
    "excerpt",
    "forgettable",
    "format_entry",
    "is_journal_file",
    "journal_flags",
    "kept_request",
    "ledger_location",
    "newest_collectable",
    "not_waiting",
    "once",
    "one_take",
    "open_ledger",
    "outlive",
    "page_bounds",
    "recheck_refunds",
    "refusal_after_recheck",
    "request_hash",
    "request_hashes",
    "sent_parts",
    "shown_take",
    "still_sending",
    "task_held_elsewhere",
    "task_page",
    "unknown_row",
    "unknown_takes",
    "wait_for_slot",
]
