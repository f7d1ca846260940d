"""The loop shuts down (ComfyUI's `asyncio.run` ending, Ctrl+C) while a create's `created`
record is written to the PostgreSQL ledger: the task id the service gave must survive, in the
ledger and in the output, never become an unknown outcome nobody can adopt.

Real server, real shutdown: an uncommitted row of another session holding the same task id
makes the record's UPDATE wait (the unique index checks it); a real `asyncio.run` then ends in
its own thread, cancelling every task it runs, the record's write among them.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import psycopg
import pytest
from harness import Harness
from pg_fixtures import terminate_sessions

from freesora.create.plan import PlannedTask
from freesora.create.submit import submit_tasks
from freesora.ledger import PostgresLedger, TakeState
from freesora.schemas import build_create_request
from freesora.service.client import FreeSoraClient, open_session

MODEL = "sora-2-text-to-video"
TASK_ID = "sora-shutdown-1"
STUCK_S = 30  # a guard against waiting forever, not a timing


async def waiting_updates(url: str, seen: set[int], stop: threading.Thread) -> int | None:
    """A backend not in `seen` whose UPDATE of the takes waits on a lock (or None once `stop`
    has ended)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for _ in range(STUCK_S * 40):
            cursor = await conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'UPDATE freesora.takes%'"
            )
            for (pid,) in await cursor.fetchall():
                if pid not in seen:
                    return int(pid)
            if not stop.is_alive():
                return None
            await asyncio.sleep(0.025)
    raise AssertionError("no UPDATE of the takes waited on the lock")


def worker(url: str, harness: Harness, stop: threading.Event) -> None:
    """A process's loop: a create is submitted, then the loop ends (when `stop` is set)."""
    planned = [PlannedTask(build_create_request(model=MODEL, prompt="A paper boat"))]

    async def main() -> None:
        ledger = await PostgresLedger.connect(url, max_size=4)
        async with open_session() as session:
            client = FreeSoraClient(session, harness.client.settings)
            submitting = asyncio.ensure_future(submit_tasks(client, planned, ledger=ledger, seed=1))
            await asyncio.to_thread(stop.wait, STUCK_S)
            assert not submitting.done()  # still recording: the shutdown lands mid-write
        # main returns: asyncio.run cancels every task left (the create's record among them)

    asyncio.run(main())


async def test_a_task_id_whose_record_a_shutdown_interrupts_is_recorded_and_said(
    pg_url: str, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    harness.sandbox.faults.add("create", "task_id", value=TASK_ID)
    stop = threading.Event()
    with psycopg.connect(pg_url) as blocker:
        await (await PostgresLedger.connect(pg_url)).close()  # the schema
        blocker.execute(
            "INSERT INTO freesora.takes (take_key, account, model, slot, state, created_at,"
            " updated_at, task_id) VALUES ('blocker', '', '', 0, 'failed', 0, 0, %s)",
            (TASK_ID,),
        )
        thread = threading.Thread(target=worker, args=(pg_url, harness, stop))
        thread.start()
        first = await waiting_updates(pg_url, set(), thread)  # the record waits on the blocker
        assert first is not None
        stop.set()  # the loop shuts down
        await waiting_updates(pg_url, {first}, thread)  # a second write, or the loop ended
        blocker.rollback()
    await asyncio.to_thread(thread.join, STUCK_S)
    assert not thread.is_alive()
    reader = await PostgresLedger.connect(pg_url)
    try:
        found = await reader.find_task(TASK_ID)
        assert found is not None, "the task id the service gave was lost"
        assert found.state is TakeState.CREATED
    finally:
        await reader.close()
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(TASK_ID in line for line in said), said
    assert harness.sandbox.tasks_created == 1
    terminate_sessions(pg_url)  # the ended loop's pool could not close its connections
