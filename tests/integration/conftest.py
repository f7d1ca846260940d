"""Fixtures for the loopback tests (helpers live in harness.py and sandbox_calls.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from harness import FakeClock, Harness, start_harness
from pg_fixtures import pg_ledger, pg_other, pg_url  # noqa: F401  (the PostgreSQL fixtures)
from sandbox_calls import TASK_SECONDS

from freesora.sandbox import RunningSandbox, run_sandbox


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with start_harness() as started:
        yield started


# --- A bare sandbox and a plain HTTP session (test_sandbox*.py) ------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def served(clock: FakeClock) -> AsyncIterator[RunningSandbox]:
    async with run_sandbox(clock=clock, task_seconds=TASK_SECONDS) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as client:
        yield client
