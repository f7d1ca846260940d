"""After an upgrade, the first journal format's tasks and unknown outcomes still count.

The first release recorded takes by a fingerprint of the request (no account). Re-running the
same request and seed after the upgrade must reuse its task (not pay again) and stay blocked by
its unknown outcome (not resend blindly), against the sandbox on 127.0.0.1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import Harness
from old_journal import Journal, fingerprint

from freesora.create.plan import PlannedTask
from freesora.create.submit import submit_tasks
from freesora.errors import CreateOutcomeUnknownError
from freesora.ledger import FileLedger, TakeState
from freesora.ledger.upgrade import CARRIED_REASON
from freesora.sandbox import SANDBOX_KEY
from freesora.schemas import build_create_request

MODEL = "sora-2-text-to-video"
WAIT = {"interval_s": 1.0, "timeout_s": 120.0}


def planned(prompt: str = "A paper boat") -> list[PlannedTask]:
    return [PlannedTask(build_create_request(model=MODEL, prompt=prompt))]


def old_print(harness: Harness, prompt: str = "A paper boat", slot: int = 0) -> str:
    payload = planned(prompt)[0].request.to_payload()
    return fingerprint(payload, harness.client.settings.base_url, slot)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "tasks.jsonl"


async def test_a_task_the_first_release_created_is_reused_not_paid_again(
    harness: Harness, path: Path
) -> None:
    [made] = await submit_tasks(harness.client, planned())  # created before the upgrade
    Journal(path).record_created(made.task_id, MODEL, old_print(harness), seed=1)
    ledger = FileLedger(path)
    [again] = await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    assert again.reused
    assert again.task_id == made.task_id
    assert len(harness.sandbox.received.creates) == 1
    [entry] = await ledger.entries()  # listed once, now as this account's take
    assert entry.task_id == made.task_id
    assert entry.account == await ledger.account(harness.client.settings.profile, SANDBOX_KEY)
    assert entry.reason == CARRIED_REASON
    [later] = await submit_tasks(harness.client, planned(), ledger=FileLedger(path), seed=1)
    assert later.reused
    assert len(harness.sandbox.received.creates) == 1


async def test_an_unknown_outcome_of_the_first_release_still_blocks_a_blind_resend(
    harness: Harness, path: Path
) -> None:
    Journal(path).record_unknown(MODEL, old_print(harness), 1, "connection reset after sending")
    ledger = FileLedger(path)
    with pytest.raises(CreateOutcomeUnknownError, match="connection reset") as caught:
        await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    assert harness.sandbox.received.creates == []
    take = caught.value.message.split("freesora tasks forget ")[1][:12]
    released = await ledger.forget(take)  # the way out the message names works
    assert released.state is TakeState.FORGOTTEN
    [made] = await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    assert not made.reused
    assert len(harness.sandbox.received.creates) == 1


async def test_other_seeds_slots_requests_and_failed_tasks_of_the_first_release_create_anew(
    harness: Harness, path: Path
) -> None:
    old = Journal(path)
    old.record_created("old-failed", MODEL, old_print(harness), seed=1)
    old.record_finished("old-failed", "failed")
    old.record_created("old-other", MODEL, old_print(harness, "Another boat"), seed=1)
    ledger = FileLedger(path)
    [made] = await submit_tasks(harness.client, planned(), ledger=ledger, seed=1)
    assert not made.reused  # its only earlier task failed
    [other_seed] = await submit_tasks(
        harness.client, planned("Another boat"), ledger=ledger, seed=2
    )
    assert not other_seed.reused
    assert len(harness.sandbox.received.creates) == 2


async def test_the_first_release_task_goes_to_one_account_and_survives_compaction(
    harness: Harness, path: Path
) -> None:
    [made] = await submit_tasks(harness.client, planned())
    Journal(path).record_created(made.task_id, MODEL, old_print(harness), seed=1)
    ledger = FileLedger(path)
    assert await ledger.compact() == 1  # not carried yet: it keeps its fingerprint
    [again] = await submit_tasks(harness.client, planned(), ledger=FileLedger(path), seed=1)
    assert again.reused
    assert again.task_id == made.task_id
    bob = harness.client_with(key=SANDBOX_KEY + "-bob")
    [theirs] = await submit_tasks(bob, planned(), ledger=FileLedger(path), seed=1)
    assert not theirs.reused  # carried to the first account that asked, never to a second
    assert theirs.task_id != made.task_id


async def test_a_task_an_earlier_version_wrote_off_when_its_link_expired_is_collected_not_paid(
    harness: Harness, path: Path, tmp_path: Path
) -> None:
    from freesora.collect import collect_video

    ledger = FileLedger(path)
    [made] = await submit_tasks(harness.client, planned(), ledger=ledger, seed=4)
    # What an earlier version recorded when the video's download was refused with 410.
    await ledger.record_outcome(
        made.task_id, TakeState.FAILED, reason="its video expired (HTTP 410)"
    )
    upgraded = FileLedger(path)
    [again] = await submit_tasks(harness.client, planned(), ledger=upgraded, seed=4)
    assert (again.task_id, again.reused) == (made.task_id, True)
    result = await collect_video(
        harness.client, again.task_id, tmp_path / "out", ledger=upgraded, clock=harness.clock
    )
    assert result.path.is_file()
    found = await FileLedger(path).find_task(made.task_id)
    assert found is not None
    assert (found.state, found.file) == (TakeState.SUCCEEDED, str(result.path))
    assert harness.sandbox.tasks_created == 1  # paid once


# What every pack since the first reads, and a new record may use: events and end statuses.
KNOWN_EVENTS = {"sending", "created", "refused", "unknown", "finished", "adopted", "forgotten"}
KNOWN_EVENTS |= {"entry", "charge", "carried", "keyed"}


async def test_an_older_reader_still_reads_a_journal_that_says_whether_credits_came_back(
    harness: Harness, path: Path, tmp_path: Path
) -> None:
    from freesora.collect import collect_video
    from freesora.errors import TaskFailedError
    from freesora.sandbox import FAIL_MARKER, FAIL_NO_REFUND_MARKER

    ledger = FileLedger(path)
    made = []
    for marker in (FAIL_MARKER, FAIL_NO_REFUND_MARKER):
        [one] = await submit_tasks(harness.client, planned(f"boat {marker}"), ledger=ledger)
        with pytest.raises(TaskFailedError):
            await collect_video(harness.client, one.task_id, tmp_path, ledger=ledger, **WAIT)
        made.append(one.task_id)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert {line["event"] for line in lines} <= KNOWN_EVENTS  # no new kind of record
    flagged = [line for line in lines if "credits_refunded" in line]
    assert [(line["event"], line["credits_refunded"]) for line in flagged] == [
        ("finished", True),
        ("finished", False),
    ]
    # The first release's reader (tests/old_journal.py) lists both tasks as failed.
    assert [(r.task_id, r.status) for r in Journal(path).records()] == [
        (made[0], "failed"),
        (made[1], "failed"),
    ]
    await ledger.compact()  # compacted: one entry record per take, the flag on it
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert {line["event"] for line in entries} <= KNOWN_EVENTS
    kept = {line["task_id"]: line.get("credits_refunded") for line in entries if "task_id" in line}
    assert kept == {made[0]: True, made[1]: False}
    found = [await FileLedger(path).find_task(task_id) for task_id in made]
    assert [(e.state, e.credits_refunded) for e in found if e] == [
        (TakeState.FAILED, True),
        (TakeState.FAILED, False),
    ]


async def test_a_failure_an_earlier_version_recorded_counts_until_the_service_says_refunded(
    harness: Harness, path: Path
) -> None:
    from freesora.ledger import Charge, Take
    from freesora.ledger.refunds import Asked, recheck_refunds
    from freesora.sandbox import FAIL_MARKER

    # Written as 0.3.0 wrote it: a priced take, its task, and its end without the flag.
    ledger = FileLedger(path)
    account = await ledger.account("default", SANDBOX_KEY)
    decision = await ledger.claim(Take(account, "r-old", seed=1), model=MODEL, charge=Charge(30))
    assert decision.claim is not None
    request = planned(f"boat {FAIL_MARKER}")[0].request
    task_id = await harness.client.create(request)
    await decision.claim.created(task_id)
    await ledger.record_outcome(task_id, TakeState.FAILED, reason="moderation")
    assert '"credits_refunded"' not in path.read_text()
    harness.clock.advance(60)  # the task has ended on the service: refunded
    upgraded = FileLedger(path)
    assert (await upgraded.spent(account)).credits == 30  # never said: counted as spent
    assert await recheck_refunds(upgraded, account, harness.client.status, Asked())
    assert (await FileLedger(path).spent(account)).credits == 0


async def test_an_older_reader_still_reads_a_journal_with_takes_started_when_queued(
    harness: Harness, path: Path
) -> None:
    ledger = FileLedger(path)
    [early] = await submit_tasks(
        harness.client, planned("an early boat"), ledger=ledger, started_when_queued=True
    )
    [later] = await submit_tasks(harness.client, planned("a later boat"), ledger=ledger)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert {line["event"] for line in lines} <= KNOWN_EVENTS  # no new kind of record
    flagged = [
        (line["event"], line["started_when_queued"])
        for line in lines
        if "started_when_queued" in line
    ]
    assert flagged == [("sending", True)]  # an optional field of an existing record
    assert [(r.task_id, r.status) for r in Journal(path).records()] == [
        (early.task_id, "created"),
        (later.task_id, "created"),
    ]
    await ledger.compact()
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert {line["event"] for line in entries} <= KNOWN_EVENTS
    marks = {
        line["task_id"]: line.get("started_when_queued") for line in entries if "task_id" in line
    }
    assert marks == {early.task_id: True, later.task_id: None}
    read = {e.task_id: e.started_when_queued for e in await FileLedger(path).entries()}
    assert read == {early.task_id: True, later.task_id: False}
