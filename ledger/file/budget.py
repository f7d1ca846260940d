"""The file store's budget step: the SENDING record appended only if the account's budget
holds, under a lock that spans the account in every process (`<journal>.budget.lock`).

A take's own lock (`locks.TakeLocks`) keeps two claims of one take apart; two takes of one
account need this one too, or two processes could each see room for one more create and both
send.
It is held only for the arithmetic and the one fsynced append, never during a create.
Blocking: run it in a thread (`outlive.finish`).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from ..budget import check, spending
from ..contract import Charge, Spending
from .journal import JournalFile
from .locks import LockFile, offset_of

_GUARDS: dict[Path, threading.Lock] = {}  # OS locks never conflict within a process
_GUARDS_GUARD = threading.Lock()


def _guard(path: Path) -> threading.Lock:
    with _GUARDS_GUARD:
        return _GUARDS.setdefault(path, threading.Lock())


def budget_lock_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".budget.lock")


def append_sending(file: JournalFile, record: dict[str, Any], charge: Charge | None) -> None:
    """Append a take's SENDING record, priced; with a budget, only when the account's last
    24 hours plus this price fit it (else `BudgetExceededError`, nothing written)."""
    if charge is None:
        file.append(record)
        return
    record["price"] = charge.price
    if charge.budget is None:
        file.append(record)
        return
    account = str(record["account"])
    locks = LockFile.shared(budget_lock_path(file.path))
    offset = offset_of(account)
    with _guard(file.path):
        locks.acquire(offset)
        try:
            check(charge, spent_now(file, account))
            record["time"] = time.time()  # claimed now: under the lock, in the window's order
            file.append(record)
        finally:
            locks.release(offset)


def spent_now(file: JournalFile, account: str) -> Spending:
    """What `account` spent in the last 24 hours, from the journal as it is now."""
    with file.mutex:
        return spending(file.catch_up().charges(account), time.time())
