"""The journal-file store: a JSON-lines journal file shared by every process that opens it.

`store.FileLedger` keeps the ledger's contract over `journal` (locked, fsynced appends) and
`records` (the record format folded into `index`, cached by `index_cache`); `claim` and `budget`
hold a take and the account's daily budget, `locks` who holds a take, `secret` the journal's
secret and `relocate` the journal folder's one-time move. May import the ledger's shared modules
(`contract`, `budget`, `fingerprint`, `upgrade`, `outlive`), `schemas`, `config` and `errors`.
"""

from __future__ import annotations

from .store import FileLedger, shared_file_ledger

__all__ = ["FileLedger", "shared_file_ledger"]
