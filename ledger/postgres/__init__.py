"""The PostgreSQL store: one ledger shared by every worker and CLI of a farm (`PostgresLedger`).

Its modules mirror the file store's: `store` (the ledger and its connection pool), `claim` (a held
claim, and the writes a cancel must not drop), `budget` (the daily budget's transaction), `rows`
(the SQL of takes read and written), `admission` (the account's slots), `locks` (who holds a
take), `schema` (versioned migrations) and `failures` (what failed, in the pack's words).

The only package of the pack that imports psycopg (an optional extra): it loads only when a
`postgresql://` ledger is named. May import the ledger's shared modules (never its face),
`schemas`, `config` and `errors`.
"""

from .store import PostgresLedger

__all__ = ["PostgresLedger"]
