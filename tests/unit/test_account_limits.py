"""The account gate: creates paced to the window, capped in flight, and one 429 pausing them all."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from freesora.config import ApiKey, Settings
from freesora.errors import ConfigError
from freesora.ledger import Verdict, wait_for_slot
from freesora.schemas.account_limits import AccountLimits
from freesora.service.account_gate import AccountGate, gate_for
from freesora.service.client import FreeSoraClient


class Clock:
    """Time moves only when told to, or when a sleeper's turn comes (one sleeper at a time)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds
        await asyncio.sleep(0)


def gate(clock: Clock, **limits: object) -> AccountGate:
    return AccountGate(AccountLimits(**limits), clock, clock.sleep)  # type: ignore[arg-type]


async def test_the_first_creates_of_a_window_go_at_once_and_the_next_wait_their_turn() -> None:
    clock = Clock()
    account = gate(clock, creates_per_window=3, window_s=10.0)
    sent = []
    for _ in range(7):
        await account.turn().before_send()
        sent.append(clock.now - 100.0)
    assert sent == [0, 0, 0, 10, 10, 10, 20]


async def test_a_429_pauses_every_pending_create_of_the_account_once() -> None:
    clock = Clock()
    account = gate(clock)
    refused = account.turn()
    refused.back_off(7.0)

    async def create() -> None:
        turn = account.turn()
        await turn.before_send()
        turn.finish()

    await asyncio.gather(*(create() for _ in range(5)))
    # One wait for the batch: once the first waiter has slept 7 s the pause is over for all.
    assert clock.sleeps == [7.0]
    assert clock.now == pytest.approx(107.0)


async def test_after_a_429_one_create_probes_and_the_others_wait_for_its_answer() -> None:
    clock = Clock()
    account = gate(clock)
    account.turn().back_off(1.0)
    sent: list[str] = []
    seen_by_probe: list[list[str]] = []

    async def create(name: str) -> None:
        turn = account.turn()
        await turn.before_send()
        sent.append(name)
        if len(sent) == 1:
            for _ in range(5):  # the probe's answer takes a while: the others get to run
                await asyncio.sleep(0)
            seen_by_probe.append(list(sent))
        turn.finish()

    await asyncio.gather(*(create(name) for name in "abc"))
    assert len(seen_by_probe[0]) == 1, f"nobody else went before the probe's answer: {sent}"
    assert sorted(sent) == ["a", "b", "c"]


async def test_a_pause_never_spins_when_the_clock_does_not_move() -> None:
    frozen = Clock()

    async def sleep_without_time(seconds: float) -> None:
        frozen.sleeps.append(seconds)

    account = AccountGate(AccountLimits(), frozen, sleep_without_time)
    turn = account.turn()
    turn.back_off(5.0)
    await turn.before_send()
    assert frozen.sleeps == [5.0]


async def test_at_most_max_in_flight_creates_hold_a_slot_at_once() -> None:
    account = gate(Clock(), max_in_flight=3)
    inside, peak = 0, 0

    async def create() -> None:
        nonlocal inside, peak
        async with account.slot():
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0)
            inside -= 1

    await asyncio.gather(*(create() for _ in range(10)))
    assert peak == 3


async def test_clients_of_one_account_share_a_gate_and_other_accounts_do_not() -> None:
    limits = AccountLimits()
    first = gate_for("http://a", "sk-1", limits)
    assert gate_for("http://a", "sk-1", limits) is first
    assert gate_for("http://a", "sk-2", limits) is not first
    assert gate_for("http://b", "sk-1", limits) is not first


async def test_a_429_pause_is_known_outside_the_gates_loop_for_that_account_only() -> None:
    from freesora.service.account_gate import paused_until

    clock = Clock()
    limits = AccountLimits(max_in_flight=3)
    first = gate_for("http://paused", "sk-1", limits, clock=clock, sleep=clock.sleep)
    assert paused_until("http://paused", "sk-1") == 0.0
    first.back_off(7.0, owner=object())
    assert paused_until("http://paused", "sk-1") == clock() + 7.0
    assert paused_until("http://paused", "sk-2") == 0.0
    first.back_off(2.0, owner=object())  # a shorter pause does not end the longer one
    assert paused_until("http://paused", "sk-1") == clock() + 7.0


def test_the_defaults_are_the_accounts_20_in_flight_and_20_per_10_s() -> None:
    limits = AccountLimits.from_env({})
    assert (limits.max_in_flight, limits.creates_per_window, limits.window_s) == (20, 20, 10.0)


def test_environment_variables_override_the_limits() -> None:
    env = {"FREESORA_MAX_IN_FLIGHT": "5", "FREESORA_CREATES_PER_10S": " 8 "}
    limits = AccountLimits.from_env(env)
    assert (limits.max_in_flight, limits.creates_per_window) == (5, 8)


@pytest.mark.parametrize("raw", ["0", "-3", "many", "2.5", "1001"])
def test_a_bad_limit_in_the_environment_names_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"FREESORA_MAX_IN_FLIGHT must be a whole number 1 to"):
        AccountLimits.from_env({"FREESORA_MAX_IN_FLIGHT": raw})


@pytest.mark.parametrize("raw", ["100000", "1001", "²", "1" * 5000, "-3", "0", "abc"])
@pytest.mark.parametrize("name", ["FREESORA_MAX_IN_FLIGHT", "FREESORA_CREATES_PER_10S"])
def test_a_bad_value_of_either_limit_is_refused_naming_it_and_its_range(
    name: str, raw: str
) -> None:
    with pytest.raises(ConfigError, match=rf"^{name} must be a whole number 1 to 1000, got"):
        AccountLimits.from_env({name: raw})


class AdmitsAll:
    """A store with admission that admits every claim and keeps the limits it was asked under."""

    def __init__(self) -> None:
        self.asked: list[AccountLimits] = []

    async def try_admit(self, claim: object, limits: AccountLimits, now: float) -> Verdict:
        self.asked.append(limits)
        return Verdict(admitted=True, in_flight=0, recent=0, recheck=[], window_frees_in_s=0.0)


async def test_admission_and_the_client_read_one_limits_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FREESORA_MAX_IN_FLIGHT", "5")
    monkeypatch.setenv("FREESORA_CREATES_PER_10S", "8")
    from_env = AccountLimits.from_env()
    assert (from_env.max_in_flight, from_env.creates_per_window) == (5, 8)
    store = AdmitsAll()

    async def never_asked(task_id: str) -> object:
        raise AssertionError(f"an admitted claim asks the service nothing ({task_id})")

    await wait_for_slot(store, object(), check=never_asked)  # type: ignore[arg-type]
    async with aiohttp.ClientSession() as session:
        client = FreeSoraClient(session, Settings("http://127.0.0.1:9", ApiKey("sk-x"), "test"))
    assert store.asked == [from_env]
    assert client.limits == from_env
