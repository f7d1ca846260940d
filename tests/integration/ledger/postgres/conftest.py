"""Fixtures of the PostgreSQL store's tests (the database: pg_fixtures.py; a worker process:
farm_worker.py)."""

from pg_fixtures import pg_ledger, pg_other, pg_url  # noqa: F401  (the PostgreSQL fixtures)
