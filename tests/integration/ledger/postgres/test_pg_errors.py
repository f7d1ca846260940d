"""No psycopg error reaches a user: whatever the database refuses, every public method of the
PostgreSQL store raises the pack's LedgerError, said in its own words (never libpq's text).

The refusal is real: the database is made read-only (as a standby after a failover is), and
every session is ended so the pool's next connections start read-only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
from harness import Harness
from pg_fixtures import terminate_sessions

from freesora.create.plan import PlannedTask
from freesora.create.submit import submit_tasks
from freesora.errors import FreeSoraError, LedgerError
from freesora.ledger import PostgresLedger, Take, TakeState
from freesora.sandbox import SANDBOX_KEY
from freesora.schemas import build_create_request
from freesora.schemas.account_limits import AccountLimits

MODEL = "sora-2-text-to-video"
READ_ONLY = "the database refused it: cannot execute"


def set_read_only(url: str, on: bool) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        if on:
            conn.execute("ALTER DATABASE freesora_test SET default_transaction_read_only = on")
        else:
            conn.execute("ALTER DATABASE freesora_test RESET default_transaction_read_only")
    terminate_sessions(url)


@pytest.fixture
def read_only(pg_url: str) -> Iterator[Any]:
    yield lambda: set_read_only(pg_url, True)
    set_read_only(pg_url, False)


@pytest.fixture
async def ledger(pg_url: str) -> AsyncIterator[PostgresLedger]:
    opened = await PostgresLedger.connect(pg_url, max_size=6)  # 4 claim slots
    yield opened
    await opened.close()


async def a_take(ledger: PostgresLedger, slot: int = 0) -> Take:
    return Take(await ledger.account("default", SANDBOX_KEY), "req", seed=1, slot=slot)


async def test_every_write_the_database_refuses_is_a_ledger_error_in_the_packs_words(
    ledger: PostgresLedger, read_only: Any
) -> None:
    held = [(await ledger.claim(await a_take(ledger, slot), model=MODEL)).claim for slot in (0, 1)]
    unknown = await ledger.claim(await a_take(ledger, 2), model=MODEL)
    assert unknown.claim is not None
    await unknown.claim.unknown("timed out")
    read_only()
    writes = {
        "claim": ledger.claim(await a_take(ledger, 3), model=MODEL),
        "record_outcome": ledger.record_outcome("t1", TakeState.FAILED, reason="x"),
        "adopt": ledger.adopt((await a_take(ledger, 2)).key, "t-found"),
        "forget": ledger.forget((await a_take(ledger, 2)).key),
        "remember": ledger.remember("t-pasted"),
        "refused": held[0].refused("no credits"),  # type: ignore[union-attr]
        "unknown": held[1].unknown("timed out"),  # type: ignore[union-attr]
    }
    for name, write in writes.items():
        with pytest.raises(LedgerError) as caught:
            await write
        assert READ_ONLY in str(caught.value), name
        assert ledger.where in str(caught.value), name
    assert len(await ledger.entries()) == 3  # reads still work


async def test_admission_refused_by_the_database_is_a_ledger_error(ledger: PostgresLedger) -> None:
    decision = await ledger.claim(await a_take(ledger), model=MODEL)
    assert decision.claim is not None
    # The claim's own session (admission runs on it) turns read-only, as after a failover.
    await decision.claim._conn.execute(  # type: ignore[attr-defined]
        "SET default_transaction_read_only = on"
    )
    with pytest.raises(LedgerError, match=f"{READ_ONLY}.*nothing was sent"):
        await ledger.try_admit(
            decision.claim, AccountLimits(max_in_flight=2, creates_per_window=9), 0
        )
    with pytest.raises(LedgerError, match=READ_ONLY):
        await decision.claim.release()


async def test_a_refused_create_whose_record_is_refused_says_so_and_raises_the_services_error(
    harness: Harness, ledger: PostgresLedger, read_only: Any, caplog: pytest.LogCaptureFixture
) -> None:
    harness.sandbox.faults.add("create", "code", code=400, message="prompt too long")
    planned = [PlannedTask(build_create_request(model=MODEL, prompt="A paper boat"))]
    admits = ledger.try_admit

    async def then_read_only(*args: Any) -> Any:
        verdict = await admits(*args)
        read_only()  # admitted: the create is sent, its outcome is refused by the database
        return verdict

    ledger.try_admit = then_read_only  # type: ignore[method-assign]
    with pytest.raises(FreeSoraError) as caught:
        await submit_tasks(harness.client, planned, ledger=ledger, seed=1)
    assert not isinstance(caught.value, LedgerError)
    assert "prompt too long" in str(caught.value)
    assert "could not be recorded" in str(caught.value)
    assert READ_ONLY in caplog.text  # the database's own words: in the log, not the message
