"""Retired models, maintenance (455) and disabled features (505): refusals, never resent.

Since OpenAI shut its Sora 2 API down (2026-09-24), resellers answer that a model is retired or
unavailable, that a feature is disabled, or that they are under maintenance. Each is shown in
the service's words with what to do next; a create answered with a refusal code (455, 505, 400,
422) is a refusal (not an unknown outcome), so nothing is recorded as charged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Harness

from freesora.create.plan import PlannedTask
from freesora.create.submit import submit_tasks
from freesora.errors import (
    CreateOutcomeUnknownError,
    ModelUnavailableError,
    ServiceUnavailableError,
)
from freesora.ledger import FileLedger, TakeState
from freesora.sandbox import SANDBOX_KEY
from freesora.sandbox.canned import DISABLED_MESSAGE, MAINTENANCE_MESSAGE, RETIRED_MESSAGE
from freesora.schemas import build_create_request
from freesora.service.keycheck import check_key
from freesora.service.polling import wait_for_task
from freesora.service.retry import Answer, Outcome, classify

REQUEST = build_create_request(model="sora-2-pro-text-to-video", prompt="A boat")


@pytest.mark.parametrize(
    ("kind", "params", "error", "words"),
    [
        ("retired_model", {}, ModelUnavailableError, RETIRED_MESSAGE),
        (
            "retired_model",
            {"code": 422, "message": "Model sora-2-pro-text-to-video is no longer available"},
            ModelUnavailableError,
            "no longer available",
        ),
        ("feature_disabled", {}, ServiceUnavailableError, DISABLED_MESSAGE),
        ("maintenance", {}, ServiceUnavailableError, MAINTENANCE_MESSAGE),
        # A proxy may wrap the maintenance envelope in a 503: still a refusal, not "unknown".
        ("maintenance", {"status": 503}, ServiceUnavailableError, MAINTENANCE_MESSAGE),
        ("feature_disabled", {"status": 503}, ServiceUnavailableError, DISABLED_MESSAGE),
    ],
)
async def test_an_unavailable_answer_to_a_create_is_a_refusal_never_resent_nor_charged(
    harness: Harness,
    tmp_path: Path,
    kind: str,
    params: dict[str, object],
    error: type[Exception],
    words: str,
) -> None:
    ledger = FileLedger(tmp_path / "journal.jsonl")
    credits = harness.sandbox.credits(SANDBOX_KEY)
    harness.sandbox.faults.add("create", kind, times=5, **params)
    with pytest.raises(error) as caught:
        await submit_tasks(harness.client, [PlannedTask(REQUEST)], ledger=ledger, seed=1)
    message = str(caught.value)
    assert words in message  # the service's own words
    assert "Nothing was created" in message
    assert "Choose another model" in message or "Try again later" in message
    assert len(harness.sandbox.received.creates) == 1  # never resent
    # Written ahead, then settled as refused: nothing recorded as charged or as "may exist".
    assert [entry.state for entry in await ledger.entries()] == [TakeState.REFUSED]
    assert harness.sandbox.credits(SANDBOX_KEY) == credits


async def test_maintenance_while_waiting_ends_the_wait_with_the_resume_hint(
    harness: Harness,
) -> None:
    task_id = await harness.client.create(REQUEST)
    harness.sandbox.faults.add("status", "maintenance", status=503, times=5)
    with pytest.raises(ServiceUnavailableError) as caught:
        await wait_for_task(harness.client, task_id, clock=harness.clock)
    assert MAINTENANCE_MESSAGE in str(caught.value)
    assert f"freesora wait {task_id}" in str(caught.value)
    assert len(harness.sandbox.received.status_calls) == 1


async def test_check_reports_maintenance_in_the_services_words(harness: Harness) -> None:
    harness.sandbox.faults.add("status", "maintenance")
    with pytest.raises(ServiceUnavailableError) as caught:
        await check_key(harness.client)
    message = str(caught.value)
    assert message.startswith("Could not tell whether the key works")
    assert MAINTENANCE_MESSAGE in message
    assert "freesora-key-check" not in message  # the probe is not the user's task


@pytest.mark.parametrize("code", [455, 505])
def test_maintenance_and_disabled_codes_are_refusals_whatever_the_http_status(code: int) -> None:
    assert classify(Answer(200, code)) is Outcome.REFUSED
    assert classify(Answer(503, code)) is Outcome.REFUSED


async def test_a_retired_model_under_a_code_the_pack_does_not_know_may_still_be_charged(
    harness: Harness, tmp_path: Path
) -> None:
    # The words say "retired", but only a known refusal code (or a 4xx) proves nothing was made.
    ledger = FileLedger(tmp_path / "journal.jsonl")
    message = "Model sora-2-pro-text-to-video is no longer available"
    harness.sandbox.faults.add("create", "retired_model", code=404, message=message, times=5)
    with pytest.raises(CreateOutcomeUnknownError) as caught:
        await submit_tasks(harness.client, [PlannedTask(REQUEST)], ledger=ledger, seed=1)
    assert message in str(caught.value)
    assert "may exist and may have been charged" in str(caught.value)
    assert len(harness.sandbox.received.creates) == 1
    assert [entry.state for entry in await ledger.entries()] == [TakeState.UNKNOWN]
