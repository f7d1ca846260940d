"""The account's limits kept (`schemas.account_limits`): creates in flight, per window, a 429 pause.

One `AccountGate` per account (base URL + key) and event loop, shared by every client of that
account in the process: the creates of a batch, and of several nodes running at once, go out
as fast as the account allows and never faster. A 429 pauses every pending create of the account
for its Retry-After, instead of each create hammering the service on its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from ..schemas.account_limits import AccountLimits

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class AccountGate:
    """What every create of one account passes before it is sent (see the module docstring).

    After a 429 the account is "in doubt": once the pause is over one create (the probe) goes
    first, and the others follow only when it was not refused, so a full account costs one 429
    per pause instead of one per waiting create.
    """

    def __init__(
        self, limits: AccountLimits, clock: Clock, sleep: Sleep, account: str = ""
    ) -> None:
        self.limits = limits
        self._account = account
        self._clock = clock
        self._sleep = sleep
        self._slots = asyncio.Semaphore(limits.max_in_flight)
        # Send times given out (some in the future): the window's bookkeeping.
        self._sends: deque[float] = deque()
        self._paused_until = 0.0
        self._pauses = 0  # bumped by each 429: a waiter re-checks only when it changed
        self._clear = asyncio.Event()
        self._clear.set()
        self._probe: object | None = None

    def turn(self) -> CreateTurn:
        """One create's passage through the gate (retries included)."""
        return CreateTurn(self)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Held for the whole create (retries included): at most `max_in_flight` at once."""
        async with self._slots:
            yield

    async def before_send(self, owner: object) -> None:
        """Wait out a 429 pause and its probe, then for this create's turn in the window."""
        await self._wait_pause()
        while not self._clear.is_set() and self._probe is not owner:
            if self._probe is None:
                self._probe = owner  # this create tries the account first
                break
            await self._clear.wait()
            await self._wait_pause()
        now = self._clock()
        window, most = self.limits.window_s, self.limits.creates_per_window
        while self._sends and self._sends[0] <= now - window:
            self._sends.popleft()
        # The n-th create from the end left the window at (its time + window): never sooner.
        turn = now if len(self._sends) < most else max(now, self._sends[-most] + window)
        self._sends.append(turn)
        if turn > now:
            await self._sleep(turn - now)

    def back_off(self, delay_s: float, owner: object) -> None:
        """A 429 said wait `delay_s`: every create of the account waits (in `before_send`)."""
        self._paused_until = max(self._paused_until, self._clock() + delay_s)
        _published(self._account, self._paused_until)
        self._pauses += 1
        self._clear.clear()
        if self._probe is owner:
            self._probe = None  # refused again: whoever comes first after the pause probes

    def finish(self, owner: object) -> None:
        """The create got an answer that was not a 429 (or gave up): the probe, if it was one,
        lets the others go."""
        if self._probe is owner or (self._probe is None and not self._clear.is_set()):
            self._probe = None
            self._clear.set()

    async def _wait_pause(self) -> None:
        # One sleep per pause seen: an injected clock that sleeps without moving time (tests)
        # cannot make this spin.
        while True:
            seen = self._pauses
            remaining = self._paused_until - self._clock()
            if remaining <= 0:
                return
            await self._sleep(remaining)
            if self._pauses == seen:
                return


class CreateTurn:
    """The gate as one create sees it: `before_send` each try, `back_off` on 429, `finish`."""

    def __init__(self, gate: AccountGate) -> None:
        self._gate = gate
        self.limits = gate.limits

    async def before_send(self) -> None:
        await self._gate.before_send(self)

    def back_off(self, delay_s: float) -> None:
        self._gate.back_off(delay_s, self)

    def finish(self) -> None:
        self._gate.finish(self)


# The end of each account's latest 429 pause (by account hash), for whoever must not queue up
# behind it on another thread: a queued prompt's early starts (`create.queued.Pacer`).
_PAUSED: dict[str, float] = {}
_PAUSED_GUARD = threading.Lock()


def _published(account: str, until: float) -> None:
    with _PAUSED_GUARD:
        _PAUSED[account] = max(_PAUSED.get(account, until), until)


def paused_until(base_url: str, key: str) -> float:
    """When the account's latest 429 pause ends (on the gates' clock; 0: never paused)."""
    with _PAUSED_GUARD:
        return _PAUSED.get(_account_of(base_url, key), 0.0)


def _account_of(base_url: str, key: str) -> str:
    return hashlib.sha256(f"{base_url}\n{key}".encode()).hexdigest()


_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[object, ...], AccountGate]]
_GATES = weakref.WeakKeyDictionary()


def gate_for(
    base_url: str,
    key: str,
    limits: AccountLimits,
    *,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> AccountGate:
    """The gate of this account on the running loop (asyncio primitives belong to one loop)."""
    account = _account_of(base_url, key)
    per_loop = _GATES.setdefault(asyncio.get_running_loop(), {})
    # Clients with other limits or another clock (tests) get their own gate.
    return per_loop.setdefault(
        (account, limits, clock, sleep), AccountGate(limits, clock, sleep, account)
    )
