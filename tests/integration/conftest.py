"""Fixtures for the loopback tests (helpers live in harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from harness import Harness, start_harness


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with start_harness() as started:
        yield started
