"""A refund the service reports after the failure was recorded: a bounded re-check picks it up.

Real tasks on the sandbox (127.0.0.1) that fail without a refund, recorded in a journal; the
service is asked through the real client. Time for the re-check's memory is injected.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from harness import Harness

from freesora.errors import BudgetExceededError
from freesora.ledger import Charge, FileLedger, Take, TakeState
from freesora.ledger.refunds import (
    RECHECK_EVERY_S,
    RECHECK_TASKS,
    Asked,
    claim_within_budget,
    recheck_refunds,
)
from freesora.sandbox import FAIL_NO_REFUND_MARKER, SANDBOX_KEY
from freesora.schemas import CreateVideoRequest

MODEL = "sora-2-text-to-video"
PRICE = 30.0


class Minutes:
    """The re-check memory's clock: moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def failed_unrefunded(harness: Harness, ledger: FileLedger, count: int) -> list[str]:
    """`count` real tasks that failed on the service keeping their credits, as recorded."""
    account = await ledger.account("default", SANDBOX_KEY)
    ids = []
    for n in range(count):
        decision = await ledger.claim(
            Take(account, f"r-{n}", seed=n), model=MODEL, charge=Charge(PRICE)
        )
        assert decision.claim is not None
        body = {"model": MODEL, "prompt": f"boat {n} {FAIL_NO_REFUND_MARKER}"}
        task_id = await harness.client.create(CreateVideoRequest.model_validate(body))
        await decision.claim.created(task_id)
        await ledger.record_outcome(task_id, TakeState.FAILED, credits_refunded=False)
        ids.append(task_id)
    harness.clock.advance(60)  # the sandbox's tasks have ended
    return ids


def asked(harness: Harness) -> int:
    return len(harness.sandbox.received.status_calls)


@pytest.fixture
def ledger(tmp_path: Path) -> FileLedger:
    return FileLedger(tmp_path / "tasks.jsonl")


async def test_a_recheck_asks_a_few_tasks_and_each_one_again_only_after_a_minute(
    harness: Harness, ledger: FileLedger
) -> None:
    ids = await failed_unrefunded(harness, ledger, RECHECK_TASKS + 2)
    account = await ledger.account("default", SANDBOX_KEY)
    clock = Minutes()
    memory = Asked(clock=clock)
    assert not await recheck_refunds(ledger, account, harness.client.status, memory)
    assert asked(harness) == RECHECK_TASKS  # the newest five
    clock.now += 1
    assert not await recheck_refunds(ledger, account, harness.client.status, memory)
    assert asked(harness) == RECHECK_TASKS + 2  # only those not asked yet
    assert not await recheck_refunds(ledger, account, harness.client.status, memory)
    assert asked(harness) == RECHECK_TASKS + 2  # nothing is due
    assert (await ledger.spent(account)).credits == len(ids) * PRICE
    harness.sandbox.refund(ids[0])  # the service gives the oldest one's credits back later
    clock.now = RECHECK_EVERY_S
    assert not await recheck_refunds(ledger, account, harness.client.status, memory)
    assert asked(harness) == 2 * RECHECK_TASKS + 2  # the five asked longest ago
    clock.now = RECHECK_EVERY_S + 1
    assert await recheck_refunds(ledger, account, harness.client.status, memory)
    assert asked(harness) == 2 * RECHECK_TASKS + 4  # then the other two: the refund is seen
    assert (await ledger.spent(account)).credits == (len(ids) - 1) * PRICE
    entry = await FileLedger(ledger.path).find_task(ids[0])
    assert entry is not None
    assert (entry.state, entry.credits_refunded) == (TakeState.FAILED, True)


async def test_refused_creates_at_once_share_one_round_of_questions(
    harness: Harness, ledger: FileLedger
) -> None:
    [task_id] = await failed_unrefunded(harness, ledger, 1)
    account = await ledger.account("default", SANDBOX_KEY)
    harness.sandbox.refund(task_id)
    memory = Asked(clock=Minutes())
    found = await asyncio.gather(
        *(recheck_refunds(ledger, account, harness.client.status, memory) for _ in range(4))
    )
    assert found == [True] * 4
    assert asked(harness) == 1


async def test_a_claim_the_budget_refuses_goes_once_a_refund_came_back_and_not_before(
    harness: Harness, ledger: FileLedger
) -> None:
    [task_id] = await failed_unrefunded(harness, ledger, 1)
    account = await ledger.account("default", SANDBOX_KEY)
    clock = Minutes()
    memory = Asked(clock=clock)
    charge = Charge(PRICE, PRICE, "set FREESORA_DAILY_BUDGET")
    new = Take(account, "r-new", seed=1)
    with pytest.raises(BudgetExceededError):
        await claim_within_budget(
            ledger, new, model=MODEL, summary="", charge=charge, check=harness.client.status,
            asked=memory,
        )  # fmt: skip
    assert await ledger.lookup(new) is None  # nothing written, nothing sent
    harness.sandbox.refund(task_id)
    clock.now += RECHECK_EVERY_S
    decision = await claim_within_budget(
        ledger, new, model=MODEL, summary="", charge=charge, check=harness.client.status,
        asked=memory,
    )  # fmt: skip
    assert decision.claim is not None
    await decision.claim.release()


async def test_a_queued_prompts_budget_check_sees_a_refund_as_the_claim_would(
    harness: Harness, ledger: FileLedger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from freesora.create.queued import early_starts
    from freesora.nodes.queue_start import _over_budget
    from freesora.schemas.pricing import merged_prices, price_of

    [task_id] = await failed_unrefunded(harness, ledger, 1)
    text = {
        "class_type": "FreeSoraTextToVideo",
        "inputs": {"model": MODEL, "prompt": "A kite", "seed": 3, "profile": "", "batch_size": 1},
    }
    save = {"class_type": "FreeSoraVideoResult", "inputs": {"task_id": ["1", 0]}}
    [start] = early_starts({"1": text, "2": save}, ["2"], lambda *_: False)
    price = price_of(start.takes.planned[0].request.to_payload(), merged_prices({}))
    env = {
        "FREESORA_CONFIG": str(tmp_path / "config.json"),
        "FREESORA_API_KEY": SANDBOX_KEY,
        "FREESORA_BASE_URL": harness.base_url,
        "FREESORA_JOURNAL": str(ledger.path),
        "FREESORA_DAILY_BUDGET": str(price),  # fits only once the failed task's credits are back
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ledger_spent = (await ledger.spent(await ledger.account("default", SANDBOX_KEY))).credits
    assert ledger_spent + price > price  # refused by the journal alone
    harness.sandbox.refund(task_id)  # said by the service only now: a claim asks again
    assert await _over_budget([start]) is None
    assert asked(harness) == 1
    assert len(harness.sandbox.received.creates) == 1  # a check sends nothing
