"""Loopback helpers: a real sandbox server on 127.0.0.1 and a real client pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from freesora.config import ApiKey, Settings
from freesora.sandbox import SANDBOX_KEY, Sandbox, run_sandbox
from freesora.schemas.account_limits import AccountLimits
from freesora.service.client import FreeSoraClient, Timeouts
from freesora.service.retry import RetryPolicy


class FakeClock:
    """Time that moves only when someone sleeps: shared by the sandbox and the client."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time on without a sleep (and without recording one)."""
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Harness:
    sandbox: Sandbox
    base_url: str
    client: FreeSoraClient
    clock: FakeClock
    session: aiohttp.ClientSession

    def client_with(self, **kwargs: Any) -> FreeSoraClient:
        """Another client on the same session, e.g. with another key or timeouts."""
        key = kwargs.pop("key", SANDBOX_KEY)
        settings = Settings(self.base_url, ApiKey(key), "test")
        kwargs.setdefault("sleep", self.clock.sleep)
        kwargs.setdefault("rand", lambda: 0.5)
        kwargs.setdefault("clock", self.clock)
        return FreeSoraClient(self.session, settings, **kwargs)


def loopback_client(
    session: aiohttp.ClientSession,
    settings: Settings,
    clock: FakeClock,
    *,
    attempts: int = 4,
    patience_s: float = 20.0,
) -> FreeSoraClient:
    """A client whose waits and backoff run on `clock` (no real sleeping), jitter fixed.

    429s are waited out up to the limits' patience (15 min by default), not a count of tries:
    20 s lets two 7 s Retry-Afters through and refuses the third.
    """
    return FreeSoraClient(
        session,
        settings,
        policy=RetryPolicy(attempts=attempts),
        timeouts=Timeouts(create_s=5, status_s=5),
        sleep=clock.sleep,
        rand=lambda: 0.5,
        clock=clock,
        limits=AccountLimits(patience_s=patience_s),
    )


@asynccontextmanager
async def start_harness(**sandbox: Any) -> AsyncIterator[Harness]:
    """A sandbox (task_seconds 10 unless `sandbox` says otherwise) and a client, one fake clock."""
    clock = FakeClock()
    sandbox.setdefault("task_seconds", 10.0)
    async with (
        run_sandbox(clock=clock, **sandbox) as running,
        aiohttp.ClientSession() as session,
    ):
        settings = Settings(running.base_url, ApiKey(SANDBOX_KEY), "test")
        client = loopback_client(session, settings, clock)
        yield Harness(running.sandbox, running.base_url, client, clock, session)
