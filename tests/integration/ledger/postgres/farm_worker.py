"""A farm worker as a real process, for crash and load tests: the create step's ledger calls.

    python farm_worker.py hold URL REQUEST           claim a take, say so, then hang (to be killed)
    python farm_worker.py hold-back URL REQUEST      claim, be held back by admission, then hang
    python farm_worker.py job URL BASE REQUEST OUT   claim/reuse, create, wait, save the video
    python farm_worker.py load URL BASE N LIMIT [PER_WINDOW]  N creates through admission

Every step prints one line (`claimed`, `created <id>`, `reused <id>`, `saved <path>`, JSON).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import aiohttp

from freesora.collect import video_filename
from freesora.config import ApiKey, Settings
from freesora.errors import RateLimitedError
from freesora.ledger import PostgresLedger, Take, TakeState, wait_for_slot
from freesora.sandbox import SANDBOX_KEY
from freesora.schemas import CreateVideoRequest
from freesora.schemas.account_limits import AccountLimits
from freesora.service.client import FreeSoraClient
from freesora.service.polling import wait_for_task
from freesora.service.retry import RetryPolicy

MODEL = "sora-2-text-to-video"


def say(line: str) -> None:
    print(line, flush=True)


def request(prompt: str) -> CreateVideoRequest:
    return CreateVideoRequest.model_validate({"model": MODEL, "prompt": prompt})


async def take_for(ledger: PostgresLedger, name: str, slot: int = 0) -> Take:
    return Take(await ledger.account("default", SANDBOX_KEY), name, seed=7, slot=slot)


async def hold(url: str, name: str, held_back: bool) -> None:
    ledger = await PostgresLedger.connect(url)
    if held_back:  # one task in flight already, and a limit of one
        blocker = await ledger.claim(await take_for(ledger, name + "-blocker"), model=MODEL)
        assert blocker.claim is not None
        await blocker.claim.created(name + "-blocker-task")
    decision = await ledger.claim(await take_for(ledger, name), model=MODEL)
    assert decision.claim is not None
    if held_back:
        verdict = await ledger.try_admit(decision.claim, AccountLimits(max_in_flight=1), 0.0)
        assert not verdict.admitted
    backend = await ledger.run(lambda conn: conn.execute("SELECT 1"))  # the pool works
    del backend
    say(f"claimed {decision.claim.row_id}")
    await asyncio.Event().wait()


async def job(url: str, base: str, name: str, out: Path) -> None:
    ledger = await PostgresLedger.connect(url)
    async with aiohttp.ClientSession() as session:
        client = FreeSoraClient(session, Settings(base, ApiKey(SANDBOX_KEY), "test"))
        decision = await ledger.claim(await take_for(ledger, name), model=MODEL)
        if decision.claim is None:
            assert decision.earlier is not None
            assert decision.earlier.task_id
            task_id = decision.earlier.task_id
            say(f"reused {task_id}")
        else:
            await wait_for_slot(ledger, decision.claim, check=client.status)
            task_id = await client.create(request(name))
            await decision.claim.created(task_id)
            say(f"created {task_id}")
        status = await wait_for_task(client, task_id, interval_s=0.2)
        assert status.video_url
        path = await client.download(status.video_url, out / video_filename(task_id))
        await ledger.record_outcome(
            task_id, TakeState.SUCCEEDED, url=status.video_url, file=str(path)
        )
        say(f"saved {path}")
    await ledger.close()


async def load(url: str, base: str, count: int, limit: int, per_window: int) -> None:
    ledger = await PostgresLedger.connect(url)
    limits = AccountLimits(max_in_flight=limit, creates_per_window=per_window)
    waits: list[str] = []
    limited = 0
    async with aiohttp.ClientSession() as session:
        settings = Settings(base, ApiKey(SANDBOX_KEY), "test")
        client = FreeSoraClient(session, settings, policy=RetryPolicy(attempts=1))

        async def one(i: int) -> str:
            nonlocal limited
            decision = await ledger.claim(
                await take_for(ledger, f"load-{os.getpid()}", slot=i), model=MODEL
            )
            assert decision.claim is not None
            await wait_for_slot(
                ledger,
                decision.claim,
                check=client.status,
                limits=limits,
                on_wait=waits.append,
                poll_s=0.25,
            )
            try:
                task_id = await client.create(request(f"load {i}"))
            except RateLimitedError:
                limited += 1
                await decision.claim.refused("429")
                return ""
            await decision.claim.created(task_id)
            return task_id

        ids = await asyncio.gather(*(one(i) for i in range(count)))
    await ledger.close()
    say(json.dumps({"ids": [i for i in ids if i], "limited": limited, "waits": len(waits)}))


def main(argv: list[str]) -> None:
    mode, url = argv[0], argv[1]
    if mode in ("hold", "hold-back"):
        asyncio.run(hold(url, argv[2], mode == "hold-back"))
    elif mode == "job":
        asyncio.run(job(url, argv[2], argv[3], Path(argv[4])))
    elif mode == "load":
        per_window = int(argv[5]) if len(argv) > 5 else 20
        asyncio.run(load(url, argv[2], int(argv[3]), int(argv[4]), per_window))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
