"""The PostgreSQL store: one ledger shared by every worker and CLI of a farm (`PostgresLedger`).

The only package of the pack that imports psycopg, loaded only when a `postgresql://` ledger is
named. May import the ledger's shared modules, `schemas`, `config` and `errors`.
"""

from .store import PostgresLedger

__all__ = ["PostgresLedger"]
