"""ComfyUI runs each prompt on an event loop of its own: a farm store's connections end with it."""

from __future__ import annotations

import asyncio
import time

import psycopg

from freesora.ledger import close_databases, open_ledger


def sessions(url: str, *, settle: bool = False) -> int:
    """Other sessions on the test database (the pack's pooled connections). With `settle`, the
    count once it stops falling: a server process ends a moment after its client hangs up."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(100 if settle else 1):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).fetchone()
            assert row is not None
            if not settle or row[0] == 0:
                break
            time.sleep(0.05)  # a server process we cannot await: poll, 5 s at most
    return int(row[0])


def test_a_prompt_loops_pool_is_closed_when_the_loop_ends(pg_url: str) -> None:
    async def one_prompt() -> int:
        ledger = await open_ledger(pg_url)
        assert ledger is await open_ledger(pg_url)  # one store per loop
        await ledger.entries()
        return sessions(pg_url)

    assert asyncio.run(one_prompt()) >= 1  # connected while the prompt ran
    assert sessions(pg_url, settle=True) == 0  # not one connection left when its loop ended
    assert asyncio.run(one_prompt()) >= 1  # the next prompt's loop opens its own
    assert sessions(pg_url, settle=True) == 0


def test_closing_the_loops_databases_first_is_fine(pg_url: str) -> None:
    async def command() -> None:
        ledger = await open_ledger(pg_url)
        await ledger.entries()
        await close_databases()  # what the CLI does before its loop ends

    asyncio.run(command())
    assert sessions(pg_url, settle=True) == 0
