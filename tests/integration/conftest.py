"""Fixtures for the loopback tests (helpers: harness.py, sandbox_calls.py, cli_runner.py,
route_client.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from cli_runner import Cli, cli_env
from harness import FakeClock, Harness, start_harness
from route_client import client, configured_client, env  # noqa: F401  (the pack's routes on 127.0.0.1)
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
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        yield http


# --- The `freesora` command as a user runs it, on a sandbox of its own (test_cli*.py) ---------


@pytest.fixture
async def cli(tmp_path: Path) -> AsyncIterator[Cli]:
    async with run_sandbox(task_seconds=1.0) as running:
        yield Cli(running.sandbox, cli_env(running.base_url, tmp_path), tmp_path)
