"""Load: a batch of 100 creates through `submit_tasks` while the sandbox answers 429 to bursts.

Every task must be created exactly once, none lost from the journal, and the service must never
hold more creates at once than the client's `max_concurrent_creates`. The sandbox's small real
latency makes requests overlap; backoff runs on the harness's fake clock, so it costs no time.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from harness import Harness
from ledger_view import oldest_first

from freesora.create.plan import PlannedTask
from freesora.create.submit import Submitted, submit_tasks
from freesora.ledger.base import Take
from freesora.ledger.file_store import FileLedger
from freesora.ledger.fingerprint import request_hash
from freesora.sandbox import SANDBOX_KEY
from freesora.schemas import build_create_request
from freesora.service.retry import RetryPolicy

BATCH = 100
RATE_LIMITED = 30
LATENCY_S = 0.015  # real seconds per answered create: long enough for requests to overlap
# All 30 429s may land on one create, and giving up on a create would fail the batch.
POLICY = RetryPolicy(attempts=RATE_LIMITED + 2)


def text_batch() -> list[PlannedTask]:
    return [
        PlannedTask(build_create_request(model="sora-2-text-to-video", prompt=f"Boat no. {i:03d}"))
        for i in range(BATCH)
    ]


def record_created_prompts(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """task id -> prompt, as the sandbox creates them (its tasks do not keep the prompt).

    A spy around the sandbox's own create, which still does all the work.
    """
    created: dict[str, str] = {}
    real_create = harness.sandbox.state.create

    def create(authorization: str | None, body: Any, now: float) -> Any:
        reply = real_create(authorization, body, now)
        if reply.code == 0:
            created[reply.data["taskId"]] = body["prompt"]
        return reply

    monkeypatch.setattr(harness.sandbox.state, "create", create)
    return created


async def submit_batch_under_429s(
    harness: Harness, tmp_path: Path, limit: int, **rate_limit: Any
) -> tuple[list[PlannedTask], list[Submitted], FileLedger]:
    harness.sandbox.latency_s = LATENCY_S
    harness.sandbox.faults.add("create", "rate_limit", times=RATE_LIMITED, **rate_limit)
    client = harness.client_with(policy=POLICY, max_concurrent_creates=limit)
    journal = FileLedger(tmp_path / "tasks.jsonl")
    planned = text_batch()
    submitted = await submit_tasks(client, planned, ledger=journal, seed=1)
    return planned, submitted, journal


async def assert_each_task_created_exactly_once(
    harness: Harness,
    planned: list[PlannedTask],
    submitted: list[Submitted],
    journal: FileLedger,
    created_prompts: dict[str, str],
) -> None:
    prompts = [task.request.prompt for task in planned]
    ids = [s.task_id for s in submitted]
    assert len(ids) == BATCH
    assert len(set(ids)) == BATCH
    assert not any(s.reused for s in submitted)
    # Every 429 was served, and nothing else was ever sent twice.
    assert harness.sandbox.faults.pending() == 0
    assert len(harness.sandbox.received.creates) == BATCH + RATE_LIMITED
    assert sorted(harness.sandbox.tasks) == sorted(ids)
    # In input order: the i-th id is the task the sandbox made from the i-th prompt.
    assert [created_prompts[task_id] for task_id in ids] == prompts
    assert Counter(created_prompts.values()) == Counter({prompt: 1 for prompt in prompts})
    # None lost: one durable "created" record per id, for the request at that position.
    records = await oldest_first(journal)
    assert [r.state.value for r in records] == ["created"] * BATCH
    base_url = harness.base_url
    account = await journal.account(harness.client.settings.profile, SANDBOX_KEY)
    expected = {
        task_id: Take(account, request_hash(task.request.to_payload(), base_url), 1, slot).key
        for slot, (task_id, task) in enumerate(zip(ids, planned, strict=True))
    }
    assert {r.task_id: r.take_key for r in records} == expected


@pytest.mark.parametrize(
    "rate_limit",
    [
        pytest.param({"retry_after": 0.01}, id="429s-with-retry-after"),
        pytest.param({}, id="429s-without-retry-after"),
    ],
)
async def test_a_hundred_creates_under_429s_make_one_task_each_and_at_most_five_at_once(
    harness: Harness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rate_limit: dict[str, Any],
) -> None:
    created_prompts = record_created_prompts(harness, monkeypatch)
    planned, submitted, journal = await submit_batch_under_429s(
        harness, tmp_path, limit=5, **rate_limit
    )
    await assert_each_task_created_exactly_once(
        harness, planned, submitted, journal, created_prompts
    )
    # Exactly 5: the limit is never exceeded, and the requests really did overlap up to it.
    assert harness.sandbox.received.max_creates_in_flight == 5
    assert harness.sandbox.received.creates_in_flight == 0


async def test_one_create_at_a_time_never_overlaps_even_under_429s(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created_prompts = record_created_prompts(harness, monkeypatch)
    planned, submitted, journal = await submit_batch_under_429s(
        harness, tmp_path, limit=1, retry_after=0.01
    )
    await assert_each_task_created_exactly_once(
        harness, planned, submitted, journal, created_prompts
    )
    assert harness.sandbox.received.max_creates_in_flight == 1
    assert harness.sandbox.received.creates_in_flight == 0
