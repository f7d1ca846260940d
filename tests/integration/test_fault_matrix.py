"""The fault matrix: every way a create or a wait can go wrong, against the sandbox on 127.0.0.1.

Creates go through `submit_tasks` with a real journal: each row pins how many tasks exist (never
two), how many requests were sent, what the user is told and what the journal remembers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from harness import Harness
from ledger_view import oldest_first

from freesora.collect import collect_video
from freesora.create.plan import PlannedTask
from freesora.create.submit import Submitted, submit_tasks
from freesora.errors import (
    CreateOutcomeUnknownError,
    FreeSoraError,
    InsufficientCreditsError,
    RateLimitedError,
    TaskFailedError,
    UnexpectedResponseError,
)
from freesora.ledger import FileLedger
from freesora.sandbox import FAIL_MARKER, FAIL_NO_REFUND_MARKER, MODERATION_REASON
from freesora.sandbox.tasks import GENERATION_REASON
from freesora.schemas import build_create_request
from freesora.service.client import Timeouts

SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "assets" / "sample.mp4"
# What every "the task may exist" message must tell the user.
MAY_EXIST = (
    "may exist and may have been charged",
    "not sent again",
    "the FreeSora tab",
    "tasks forget",
)


@dataclass(frozen=True)
class CreateCase:
    """One row: faults queued on the create endpoint, and everything that must follow."""

    faults: list[tuple[str, int, dict[str, Any]]]  # (kind, times, params)
    tasks: int  # tasks the sandbox holds afterwards: 0 or 1, never 2
    requests: int  # create requests the sandbox received
    error: type[FreeSoraError] | None  # None: the create succeeded
    told: tuple[str, ...]  # fragments of what the user reads (error, or Submitted.describe())
    # The take's one record: "created", "unknown", or "refused" (written ahead, nothing charged)
    journal: str | None
    sleeps: list[float] = field(default_factory=list)  # backoff before resends; [] = no resend
    timeouts: Timeouts | None = None


def fault(kind: str, times: int = 1, **params: Any) -> tuple[str, int, dict[str, Any]]:
    return (kind, times, params)


def row(case_id: str, **fields: Any) -> Any:
    return pytest.param(CreateCase(**fields), id=case_id)


def may_exist(case_id: str, *faults: Any, tasks: int, told: tuple[str, ...], **more: Any) -> Any:
    """A row where the create was sent once and its outcome is unknown: never resent."""
    return row(
        case_id,
        faults=list(faults),
        tasks=tasks,
        requests=1,
        error=CreateOutcomeUnknownError,
        told=(*MAY_EXIST, *told),
        journal="unknown",
        **more,
    )


SENT_THEN_LOST = ("connection failed after the request was sent",)
CREATE_MATRIX = [
    may_exist(
        "reset-after-the-task-was-created", fault("reset_after"), tasks=1, told=SENT_THEN_LOST
    ),
    may_exist(
        "reset-before-the-task-was-created", fault("reset_before"), tasks=0, told=SENT_THEN_LOST
    ),
    may_exist(
        "read-timeout-after-sending",
        fault("delay", seconds=0.35),
        timeouts=Timeouts(create_s=0.2),
        tasks=1,  # the service finishes the create after the client gave up on it
        told=("no answer within 0.2 s",),
    ),
    may_exist(
        "http-500-json",
        fault("http_status", status=500, message="database unavailable"),
        tasks=0,
        told=("database unavailable", "HTTP 500"),
    ),
    may_exist(
        "html-502-from-a-proxy",
        fault("html", status=502),
        tasks=0,
        told=("an HTML page, likely from a proxy", "HTTP 502"),
    ),
    row(
        "429-with-retry-after-then-success",
        faults=[fault("rate_limit", times=2, retry_after=3)],
        tasks=1,
        requests=3,
        error=None,
        told=("created task",),
        journal="created",
        sleeps=[3.0, 3.0],
    ),
    row(
        "429-without-retry-after-then-success",
        faults=[fault("rate_limit", times=2)],
        tasks=1,
        requests=3,
        error=None,
        told=("created task",),
        journal="created",
        sleeps=[1.0, 2.0],
    ),
    row(
        "429-forever-gives-up",
        faults=[fault("rate_limit", times=10, retry_after=7)],
        tasks=0,
        requests=3,  # the harness client's limits: 20 s of patience for 429s
        error=RateLimitedError,
        told=("Too many requests (sandbox)", "Still failing after 3 tries"),
        journal="refused",
        sleeps=[7.0, 7.0],
    ),
    may_exist("malformed-json", fault("malformed_json"), tasks=0, told=("not its JSON envelope",)),
    row(
        "http-200-code-402",
        faults=[fault("code", code=402, message="Insufficient credits: balance is 3")],
        tasks=0,
        requests=1,
        error=InsufficientCreditsError,
        told=("Insufficient credits: balance is 3", "code 402", "Top up"),
        journal="refused",
    ),
    may_exist(
        "http-200-code-500",
        fault("code", code=500, message="upstream worker crashed"),
        tasks=0,
        told=("upstream worker crashed", "code 500"),
    ),
    may_exist("missing-task-id", fault("missing_task_id"), tasks=0, told=("returned no task id",)),
    row(
        "slow-answer-within-the-timeout",
        faults=[fault("delay", seconds=0.05)],
        tasks=1,
        requests=1,
        error=None,
        told=("created task",),
        journal="created",
    ),
]


def planned(prompt: str = "A paper boat") -> list[PlannedTask]:
    return [PlannedTask(build_create_request(model="sora-2-text-to-video", prompt=prompt))]


@pytest.fixture
def journal(tmp_path: Path) -> FileLedger:
    return FileLedger(tmp_path / "tasks.jsonl")


async def submit_one(
    harness: Harness, journal: FileLedger, case: CreateCase
) -> tuple[Submitted | None, FreeSoraError | None]:
    client = harness.client_with(timeouts=case.timeouts) if case.timeouts else harness.client
    try:
        [submitted] = await submit_tasks(client, planned(), ledger=journal, seed=1)
    except FreeSoraError as exc:
        return None, exc
    return submitted, None


@pytest.mark.parametrize("case", CREATE_MATRIX)
async def test_a_create_fault_makes_at_most_one_task_and_tells_the_user_what_happened(
    harness: Harness, journal: FileLedger, case: CreateCase
) -> None:
    for kind, times, params in case.faults:
        harness.sandbox.faults.add("create", kind, times=times, **params)
    submitted, error = await submit_one(harness, journal, case)
    await harness.sandbox.drain()  # a delayed create lands after the client hung up

    assert len(harness.sandbox.tasks) == case.tasks
    assert len(harness.sandbox.received.creates) == case.requests
    assert harness.clock.sleeps == case.sleeps
    if case.error is None:
        assert error is None
        assert submitted is not None
        assert list(harness.sandbox.tasks) == [submitted.task_id]
        told = submitted.describe()
    else:
        assert type(error) is case.error, f"expected {case.error.__name__}, got {error!r}"
        told = str(error)
    for fragment in case.told:
        assert fragment in told

    records = await oldest_first(journal)
    if case.journal is None:
        assert records == []
        return
    [record] = records
    assert record.state.value == case.journal
    if case.journal == "created":
        assert submitted is not None
        assert record.task_id == submitted.task_id
    elif case.journal == "refused":
        assert record.task_id is None
        assert case.told[0] in (record.reason or "")
    else:
        assert record.task_id is None
        # What happened, as the take's reason: never the whole message with its ways out.
        assert record.reason
        assert "FreeSora tab" not in record.reason


# --- Polling: the task exists; the wait must ride out glitches and report every end ----------


async def create_task(harness: Harness, journal: FileLedger, prompt: str = "A paper boat") -> str:
    [submitted] = await submit_tasks(harness.client, planned(prompt), ledger=journal, seed=1)
    return submitted.task_id


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        pytest.param("http_status", {"status": 503}, id="http-503"),
        pytest.param("html", {"status": 502}, id="html-502-from-a-proxy"),
        pytest.param("reset_before", {}, id="connection-reset"),
        pytest.param("malformed_json", {}, id="malformed-json"),
        pytest.param("rate_limit", {"retry_after": 2}, id="429-with-retry-after"),
        pytest.param("rate_limit", {}, id="429-without-retry-after"),
    ],
)
async def test_transient_polling_errors_are_ridden_out_and_the_video_is_collected(
    harness: Harness, journal: FileLedger, tmp_path: Path, kind: str, params: dict[str, Any]
) -> None:
    task_id = await create_task(harness, journal)
    # Six in a row: more than one status call's 4 tries, so the wait itself must carry on.
    harness.sandbox.faults.add("status", kind, times=6, **params)
    result = await collect_video(
        harness.client, task_id, tmp_path / "videos", ledger=journal, clock=harness.clock
    )
    assert result.path.read_bytes() == SAMPLE.read_bytes()
    assert harness.sandbox.faults.pending("status") == 0
    assert len(harness.sandbox.received.status_calls) > 6
    assert len(harness.sandbox.received.creates) == 1  # waiting never creates
    [record] = await oldest_first(journal)
    assert (record.task_id, record.state.value, record.file) == (
        task_id,
        "succeeded",
        str(result.path),
    )


async def test_an_unknown_status_is_reported_with_the_task_id_not_awaited_forever(
    harness: Harness, journal: FileLedger, tmp_path: Path
) -> None:
    task_id = await create_task(harness, journal)
    harness.sandbox.faults.add("status", "unknown_status", value="teleporting")
    with pytest.raises(UnexpectedResponseError) as info:
        await collect_video(harness.client, task_id, tmp_path, ledger=journal, clock=harness.clock)
    assert "'teleporting'" in str(info.value)
    assert f"freesora wait {task_id}" in str(info.value)
    assert info.value.task_id == task_id
    assert len(harness.sandbox.received.status_calls) == 1
    assert harness.clock.sleeps == []
    assert harness.sandbox.received.downloads == []
    [record] = await oldest_first(journal)
    assert record.state.value == "created"  # still collectable later


@pytest.mark.parametrize(
    ("marker", "reason", "refunded", "refund_text"),
    [
        pytest.param(FAIL_MARKER, MODERATION_REASON, True, "credits were refunded", id="refunded"),
        pytest.param(
            FAIL_NO_REFUND_MARKER,
            GENERATION_REASON,
            False,
            "credits were NOT refunded",
            id="not-refunded",
        ),
    ],
)
async def test_a_failed_task_is_reported_with_reason_and_refund_and_journaled_as_failed(
    harness: Harness,
    journal: FileLedger,
    tmp_path: Path,
    marker: str,
    reason: str,
    refunded: bool,
    refund_text: str,
) -> None:
    task_id = await create_task(harness, journal, f"A paper boat {marker}")
    with pytest.raises(TaskFailedError) as info:
        await collect_video(harness.client, task_id, tmp_path, ledger=journal, clock=harness.clock)
    assert info.value.task_id == task_id
    assert info.value.reason == reason
    assert info.value.credits_refunded is refunded
    assert reason in str(info.value)
    assert refund_text in str(info.value)
    assert harness.sandbox.received.downloads == []
    [record] = await oldest_first(journal)
    assert (record.task_id, record.state.value, record.reason) == (task_id, "failed", reason)
