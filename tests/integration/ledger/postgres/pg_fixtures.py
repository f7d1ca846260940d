"""A real PostgreSQL for the farm tests: FREESORA_TEST_POSTGRES_URL (set by .ci/run).

Unset, the PostgreSQL tests are skipped on a developer's machine, but fail under CI=true: CI
must never pass by skipping them, unless the run says it has no PostgreSQL on purpose
(FREESORA_TEST_POSTGRES=off: the Windows and macOS jobs, whose farm workers are Linux servers).
Each test starts on an empty ledger (the schema dropped).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import psycopg
import pytest

from freesora.ledger import PostgresLedger

ENV_URL = "FREESORA_TEST_POSTGRES_URL"
ENV_RESTART = "FREESORA_TEST_POSTGRES_RESTART"
ENV_SWITCH = "FREESORA_TEST_POSTGRES"  # "off": no PostgreSQL here (dev.py starts none either)


def postgres_url() -> str:
    url = os.environ.get(ENV_URL, "").strip()
    if url:
        return url
    if os.environ.get(ENV_SWITCH) == "off":
        pytest.skip(f"{ENV_SWITCH}=off: this run has no PostgreSQL")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {ENV_URL} is not set: run the tests through .ci/run")
    pytest.skip(f"{ENV_URL} is not set (.ci/run starts a throwaway PostgreSQL)")


def empty_database(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS freesora CASCADE")


@pytest.fixture
def pg_url() -> str:
    url = postgres_url()
    empty_database(url)
    return url


@pytest.fixture
async def pg_ledger(pg_url: str) -> AsyncIterator[PostgresLedger]:
    ledger = await PostgresLedger.connect(pg_url)
    yield ledger
    await ledger.close()


@pytest.fixture
async def pg_other(pg_url: str, pg_ledger: PostgresLedger) -> AsyncIterator[PostgresLedger]:
    """A second store on the same database: another worker, as the database sees it."""
    ledger = await PostgresLedger.connect(pg_url)
    yield ledger
    await ledger.close()


def terminate_sessions(url: str) -> int:
    """Every other session of the database ends, as in a server restart."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)
