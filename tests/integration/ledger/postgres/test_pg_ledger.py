"""The PostgreSQL store keeps the ledger's guarantees across processes (real server, real kills)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from pg_fixtures import terminate_sessions

from freesora.errors import InvalidRequestError, LedgerError
from freesora.ledger import PostgresLedger, Take, TakeState
from freesora.ledger.postgres import store
from freesora.ledger.postgres.rows import DIED_SENDING
from freesora.sandbox import SANDBOX_KEY

WORKER = Path(__file__).with_name("farm_worker.py")
MODEL = "sora-2-text-to-video"


async def a_take(ledger: PostgresLedger, request: str = "req", slot: int = 0) -> Take:
    return Take(await ledger.account("default", SANDBOX_KEY), request, seed=7, slot=slot)


def start_worker(*args: str) -> tuple[subprocess.Popen[str], int]:
    """A worker process holding a claim; returns it and the id of its claim's row."""
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), *args], stdout=subprocess.PIPE, text=True
    )
    assert worker.stdout is not None
    said = worker.stdout.readline().split()
    assert said[0] == "claimed"
    return worker, int(said[1])


def kill(worker: subprocess.Popen[str], row_id: int, url: str) -> None:
    """kill -9, then wait (bounded) until the server has ended the worker's sessions."""
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(200):
            holder = conn.execute(
                "SELECT holder_pid FROM freesora.takes WHERE id = %s", (row_id,)
            ).fetchone()
            alive = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (holder[0],)
            ).fetchone()
            if alive[0] == 0:
                return
            time.sleep(0.05)  # the server notices the closed socket on its own time
    raise AssertionError("the killed worker's session did not end")


async def test_a_claim_is_committed_before_it_returns_and_seen_by_every_worker(
    pg_ledger: PostgresLedger, pg_other: PostgresLedger
) -> None:
    decision = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL, summary="a cat")
    assert decision.claim is not None
    seen = await pg_other.lookup(await a_take(pg_other))
    assert seen is not None
    assert seen.state is TakeState.SENDING
    assert seen.summary == "a cat"
    await decision.claim.created("task-1")
    listed = await pg_other.entries()
    assert [(e.task_id, e.state) for e in listed] == [("task-1", TakeState.CREATED)]


async def test_workers_name_one_account_alike_and_the_key_is_never_stored(
    pg_url: str, pg_ledger: PostgresLedger, pg_other: PostgresLedger
) -> None:
    account = await pg_ledger.account("default", SANDBOX_KEY)
    assert account == await pg_other.account("default", SANDBOX_KEY)
    assert account != await pg_ledger.account("other", SANDBOX_KEY)
    decision = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert decision.claim is not None
    await decision.claim.created("task-1")
    with psycopg.connect(pg_url) as conn:
        dump = str(conn.execute("SELECT t.* FROM freesora.takes t").fetchall())
    assert SANDBOX_KEY not in dump


async def test_a_second_claimant_waits_for_the_first_then_reuses_its_task(
    pg_ledger: PostgresLedger, pg_other: PostgresLedger
) -> None:
    first = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert first.claim is not None
    second = asyncio.create_task(pg_other.claim(await a_take(pg_other), model=MODEL))
    await asyncio.sleep(0.3)  # a real lock wait on the server: nothing to inject
    assert not second.done()
    await first.claim.created("task-1")
    decision = await asyncio.wait_for(second, 10)
    assert decision.claim is None
    assert decision.earlier is not None
    assert decision.earlier.task_id == "task-1"


async def test_many_concurrent_claims_of_one_take_create_it_once(pg_url: str) -> None:
    ledgers = [await PostgresLedger.connect(pg_url) for _ in range(4)]
    created: list[str] = []

    async def attempt(ledger: PostgresLedger, n: int) -> None:
        decision = await ledger.claim(await a_take(ledger), model=MODEL)
        if decision.claim is not None:
            created.append(f"task-{n}")
            await decision.claim.created(f"task-{n}")

    await asyncio.gather(*(attempt(ledgers[n % 4], n) for n in range(12)))
    for ledger in ledgers:
        await ledger.close()
    assert len(created) == 1


async def test_the_database_refuses_a_second_live_attempt_of_a_take(
    pg_url: str, pg_ledger: PostgresLedger
) -> None:
    decision = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert decision.claim is not None
    await decision.claim.created("task-1")
    with psycopg.connect(pg_url) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(
            "INSERT INTO freesora.takes (take_key, account, model, slot, state, created_at,"
            " updated_at) SELECT take_key, account, model, slot, 'sending', 0, 0"
            " FROM freesora.takes"
        )


async def test_a_claim_whose_worker_was_killed_reads_as_unknown_and_blocks_a_resend(
    pg_url: str, pg_ledger: PostgresLedger
) -> None:
    worker, row_id = start_worker("hold", pg_url, "req")
    seen = await pg_ledger.lookup(await a_take(pg_ledger))
    assert seen is not None
    assert seen.state is TakeState.SENDING
    kill(worker, row_id, pg_url)
    seen = await pg_ledger.lookup(await a_take(pg_ledger))
    assert seen is not None
    assert seen.state is TakeState.UNKNOWN
    assert seen.reason == DIED_SENDING
    decision = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert decision.claim is None
    assert decision.earlier is not None
    assert decision.earlier.state is TakeState.UNKNOWN


async def test_a_worker_killed_while_held_back_for_a_slot_sent_nothing(
    pg_url: str, pg_ledger: PostgresLedger
) -> None:
    worker, row_id = start_worker("hold-back", pg_url, "req")
    kill(worker, row_id, pg_url)
    seen = await pg_ledger.lookup(await a_take(pg_ledger))
    assert seen is not None
    assert seen.state is TakeState.REFUSED
    decision = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert decision.claim is not None  # nothing was sent, so it may be sent now
    await decision.claim.created("task-2")


async def test_an_unknown_outcome_blocks_only_its_own_slot(pg_ledger: PostgresLedger) -> None:
    lost = await pg_ledger.claim(await a_take(pg_ledger, slot=0), model=MODEL)
    assert lost.claim is not None
    await lost.claim.unknown("connection reset after sending")
    again = await pg_ledger.claim(await a_take(pg_ledger, slot=0), model=MODEL)
    assert again.claim is None
    assert again.earlier is not None
    assert again.earlier.state is TakeState.UNKNOWN
    other = await pg_ledger.claim(await a_take(pg_ledger, slot=1), model=MODEL)
    assert other.claim is not None
    await other.claim.created("task-slot-1")


async def test_adopting_an_unknown_take_makes_it_reused(
    pg_ledger: PostgresLedger, pg_other: PostgresLedger
) -> None:
    lost = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert lost.claim is not None
    await lost.claim.unknown("timed out")
    take = await a_take(pg_other)
    adopted = await pg_other.adopt(take.key, "task-found")
    assert adopted.state is TakeState.CREATED
    assert adopted.task_id == "task-found"
    decision = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert decision.claim is None
    assert decision.earlier is not None
    assert decision.earlier.task_id == "task-found"


async def test_forgetting_an_unknown_take_lets_it_be_created_again(
    pg_ledger: PostgresLedger,
) -> None:
    lost = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert lost.claim is not None
    await lost.claim.unknown("timed out")
    forgotten = await pg_ledger.forget((await a_take(pg_ledger)).key)
    assert forgotten.state is TakeState.FORGOTTEN
    decision = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert decision.claim is not None
    await decision.claim.created("task-new")


async def test_a_failed_take_is_created_again_and_both_task_ids_stay_listed(
    pg_ledger: PostgresLedger,
) -> None:
    first = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert first.claim is not None
    await first.claim.created("task-1")
    await pg_ledger.record_outcome("task-1", TakeState.FAILED, reason="generation failed")
    second = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert second.claim is not None
    assert second.earlier is not None
    assert second.earlier.state is TakeState.FAILED
    await second.claim.created("task-2")
    assert [e.task_id for e in await pg_ledger.entries()] == ["task-2", "task-1"]
    unfinished = await pg_ledger.entries(only_unfinished=True)
    assert [e.task_id for e in unfinished] == ["task-2"]
    assert await pg_ledger.compact() == 2


async def test_a_created_task_is_recorded_through_a_database_restart(
    pg_url: str, pg_ledger: PostgresLedger, pg_other: PostgresLedger
) -> None:
    decision = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert decision.claim is not None
    restart = os.environ.get("FREESORA_TEST_POSTGRES_RESTART")
    if restart:  # .ci/run's cluster: a real restart
        process = await asyncio.create_subprocess_shell(
            restart, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        assert await process.wait() == 0
    else:
        assert terminate_sessions(pg_url) >= 1
    await decision.claim.created("task-after-restart")
    found = await pg_other.find_task("task-after-restart")
    assert found is not None
    assert found.state is TakeState.CREATED


async def test_a_created_task_whose_record_cannot_be_written_is_named_in_the_error(
    pg_url: str, pg_ledger: PostgresLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "RETRY_DELAYS_S", (0.01, 0.01))
    decision = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert decision.claim is not None
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION freesora.disk_is_full() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'disk full' USING ERRCODE = 'disk_full'; END $$"
        )
        conn.execute(
            "CREATE TRIGGER disk_is_full BEFORE UPDATE ON freesora.takes"
            " FOR EACH ROW EXECUTE FUNCTION freesora.disk_is_full()"
        )
    with pytest.raises(LedgerError) as caught:
        await decision.claim.created("task-paid")
    assert caught.value.task_id == "task-paid"
    assert "task-paid" in str(caught.value)
    assert "adopt" in str(caught.value)


async def test_a_claim_waiting_for_a_slot_through_a_database_restart_sends_nothing(
    pg_url: str, pg_ledger: PostgresLedger
) -> None:

    from freesora.schemas.account_limits import AccountLimits

    decision = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert decision.claim is not None
    terminate_sessions(pg_url)  # the claim's session, and its lock, are gone
    with pytest.raises(LedgerError, match="nothing was sent"):
        await pg_ledger.try_admit(decision.claim, AccountLimits(), 0.0)
    await decision.claim.release()
    again = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert again.claim is not None
    await again.claim.created("task-1")


async def test_a_take_may_be_named_by_its_first_characters_as_freesora_tasks_shows_them(
    pg_ledger: PostgresLedger,
) -> None:
    lost = await pg_ledger.claim(await a_take(pg_ledger), model=MODEL)
    assert lost.claim is not None
    await lost.claim.unknown("timed out")
    key = (await a_take(pg_ledger)).key
    adopted = await pg_ledger.adopt(key[:10], "task-found")
    assert adopted.take_key == key
    assert adopted.task_id == "task-found"
    with pytest.raises(InvalidRequestError, match="'abc' is not a take in the shared ledger at "):
        await pg_ledger.forget("abc")
