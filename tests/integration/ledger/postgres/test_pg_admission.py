"""Account-wide admission on the shared ledger: creates wait for a slot instead of being sent."""

from __future__ import annotations

from pathlib import Path

import psycopg
from harness import Harness

from freesora.ledger import Charge, FileLedger, PostgresLedger, Take, TakeState, wait_for_slot
from freesora.sandbox import FAIL_NO_REFUND_MARKER, SANDBOX_KEY
from freesora.schemas import CreateVideoRequest
from freesora.schemas.account_limits import AccountLimits

MODEL = "sora-2-text-to-video"


def request(n: int) -> CreateVideoRequest:
    return CreateVideoRequest.model_validate({"model": MODEL, "prompt": f"take {n}"})


async def send(
    ledger: PostgresLedger, harness: Harness, n: int, limits: AccountLimits, **kw: object
) -> str:
    """The create step: claim, wait for a slot, create, record."""
    take = Take(await ledger.account("default", SANDBOX_KEY), f"r{n}", seed=1, slot=n)
    decision = await ledger.claim(take, model=MODEL)
    assert decision.claim is not None
    await wait_for_slot(
        ledger,
        decision.claim,
        check=harness.client.status,
        limits=limits,
        sleep=harness.clock.sleep,
        clock=harness.clock,
        **kw,  # type: ignore[arg-type]
    )
    task_id = await harness.client.create(request(n))
    await decision.claim.created(task_id)
    return task_id


async def test_a_create_over_the_in_flight_limit_waits_asks_the_service_and_goes_once_one_ends(
    harness: Harness, pg_ledger: PostgresLedger, pg_other: PostgresLedger
) -> None:
    limits = AccountLimits(max_in_flight=2)
    # Another worker sent two tasks and went away: nobody else will learn how they end.
    first = [await send(pg_other, harness, n, limits) for n in range(2)]
    await pg_other.close()
    said: list[str] = []
    third = await send(pg_ledger, harness, 2, limits, on_wait=said.append, poll_s=2.0)
    assert said == ["waiting for a slot: 2 tasks in flight on this account"]
    assert harness.clock.now >= 1_000 + 10  # the sandbox's tasks take 10 s
    asked = [r.body["taskId"] for r in harness.sandbox.received.status_calls]
    assert set(asked) == set(first)
    for task_id in first:
        entry = await pg_ledger.find_task(task_id)
        assert entry is not None
        assert entry.state is TakeState.SUCCEEDED
        assert entry.url
    assert (await pg_ledger.find_task(third)) is not None


async def test_creates_beyond_twenty_in_ten_seconds_wait_for_the_window(
    harness: Harness, pg_ledger: PostgresLedger
) -> None:
    limits = AccountLimits(max_in_flight=100, creates_per_window=3, window_s=10.0)
    start = harness.clock.now
    for n in range(3):
        await send(pg_ledger, harness, n, limits)
    assert harness.clock.now == start  # the first three go at once
    said: list[str] = []
    await send(pg_ledger, harness, 3, limits, on_wait=said.append)
    assert said == ["waiting for a slot: 3 creates in the last 10 s on this account"]
    assert 10.0 <= harness.clock.now - start <= 11.0
    assert harness.sandbox.tasks_created == 4


async def test_finished_tasks_leave_the_count_whoever_records_them(
    harness: Harness, pg_ledger: PostgresLedger, pg_other: PostgresLedger
) -> None:
    limits = AccountLimits(max_in_flight=1)
    task_id = await send(pg_other, harness, 0, limits)
    await pg_other.record_outcome(task_id, TakeState.FAILED, reason="moderation")
    start = harness.clock.now
    said: list[str] = []
    await send(pg_ledger, harness, 1, limits, on_wait=said.append)
    assert said == []
    assert harness.clock.now == start


async def test_a_task_admission_finds_failed_keeps_what_the_service_said_of_its_credits(
    harness: Harness, pg_ledger: PostgresLedger, pg_other: PostgresLedger
) -> None:
    limits = AccountLimits(max_in_flight=1)
    # Another worker's task, which fails on the service without a refund; the worker is gone.
    take = Take(await pg_other.account("default", SANDBOX_KEY), "r-unrefunded", seed=1)
    decision = await pg_other.claim(take, model=MODEL, charge=Charge(30))
    assert decision.claim is not None
    body = {"model": MODEL, "prompt": f"a boat {FAIL_NO_REFUND_MARKER}"}
    failing = await harness.client.create(CreateVideoRequest.model_validate(body))
    await decision.claim.created(failing)
    await pg_other.close()
    await send(pg_ledger, harness, 1, limits, poll_s=2.0)  # waits: admission asks about it
    entry = await pg_ledger.find_task(failing)
    assert entry is not None
    assert (entry.state, entry.credits_refunded) == (TakeState.FAILED, False)
    assert (await pg_ledger.spent(take.account)).credits == 30  # kept: not refunded


# The columns and schema version 0.3.0's workers know: a rolling upgrade keeps them starting.
PREVIOUS_COLUMNS = set(
    [
        "id",
        "take_key",
        "account",
        "model",
        "seed",
        "slot",
        "state",
        "created_at",
        "updated_at",
        "task_id",
        "url",
        "file",
        "reason",
        "summary",
        "extra",
        "holder_pid",
        "lock_key",
        "held_back",
        "admitted_at",
        "price",
    ]
)


async def test_what_the_service_said_of_credits_is_kept_where_older_workers_still_start(
    pg_url: str, pg_ledger: PostgresLedger
) -> None:
    take = Take(await pg_ledger.account("default", SANDBOX_KEY), "r-said", seed=1)
    decision = await pg_ledger.claim(take, model=MODEL, charge=Charge(30))
    assert decision.claim is not None
    await decision.claim.created("task-said")
    await pg_ledger.record_outcome("task-said", TakeState.FAILED, credits_refunded=True)
    await pg_ledger.record_outcome("task-said", TakeState.FAILED)  # said once, kept
    entry = await pg_ledger.find_task("task-said")
    assert entry is not None
    assert (entry.credits_refunded, entry.extra) == (True, {})
    assert (await pg_ledger.spent(take.account)).credits == 0
    with psycopg.connect(pg_url) as conn:
        version = conn.execute("SELECT max(version) FROM freesora.schema_version").fetchone()
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'freesora' AND table_name = 'takes'"
        ).fetchall()
    assert version == (2,)  # 0.3.0 refuses a schema newer than 2
    assert {name for (name,) in columns} == PREVIOUS_COLUMNS


async def test_a_local_file_ledger_admits_at_once(harness: Harness, tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    take = Take(await ledger.account("default", SANDBOX_KEY), "r", seed=1)
    decision = await ledger.claim(take, model=MODEL)
    assert decision.claim is not None
    said: list[str] = []
    await wait_for_slot(
        ledger,
        decision.claim,
        check=harness.client.status,
        limits=AccountLimits(max_in_flight=1),
        on_wait=said.append,
        sleep=harness.clock.sleep,
    )
    assert said == []
    assert harness.clock.sleeps == []
    await decision.claim.release()


async def test_the_cli_says_it_waits_once_however_many_creates_wait(
    harness: Harness, pg_ledger: PostgresLedger
) -> None:
    from freesora.ledger import once

    limits = AccountLimits(max_in_flight=1)
    await send(pg_ledger, harness, 0, limits)
    printed: list[str] = []
    say = once(printed.append)
    for n in (1, 2):
        await send(pg_ledger, harness, n, limits, on_wait=say, poll_s=2.0)
    assert printed == ["waiting for a slot: 1 task in flight on this account"]
