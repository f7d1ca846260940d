"""Task ids are the service's and opaque: whatever shape it hands out is created, reused,
collected and saved under a file name every file system takes; an id that cannot be one is an
unknown outcome (shown as it came), never a lost or a second paid task."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Harness

from freesora.collect import collect_video
from freesora.create.plan import PlannedTask
from freesora.create.submit import submit_tasks
from freesora.errors import CreateOutcomeUnknownError
from freesora.ledger import FileLedger, TakeState
from freesora.schemas import build_create_request

ODD_IDS = {
    "dotted and colon": "sora.2026-12-04:29f7383633af",
    "long": "task-" + "0123456789abcdef" * 12,  # 197 characters
    "slashed": "video/2026/12/04/29f7383633af",
    "upper case": "SORA-29F7383633AF",
}
WINDOWS_FORBIDDEN = set('<>:"/\\|?*')


def planned(prompt: str) -> list[PlannedTask]:
    return [PlannedTask(build_create_request(model="sora-2-text-to-video", prompt=prompt))]


@pytest.mark.parametrize("task_id", ODD_IDS.values(), ids=ODD_IDS.keys())
async def test_an_id_of_any_shape_is_created_reused_collected_and_saved(
    harness: Harness, tmp_path: Path, task_id: str
) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    harness.sandbox.faults.add("create", "task_id", value=task_id)
    [made] = await submit_tasks(harness.client, planned("A lighthouse"), ledger=ledger, seed=3)
    assert made.task_id == task_id
    assert not made.reused
    [again] = await submit_tasks(harness.client, planned("A lighthouse"), ledger=ledger, seed=3)
    assert again.task_id == task_id
    assert again.reused
    out = tmp_path / "out"
    result = await collect_video(harness.client, task_id, out, ledger=ledger, clock=harness.clock)
    assert result.path.parent == out
    assert result.path.is_file()
    assert result.path.name.startswith("freesora_")
    assert result.path.suffix == ".mp4"
    assert not WINDOWS_FORBIDDEN & set(result.path.name), result.path.name
    assert len(result.path.name) <= 140
    found = await FileLedger(ledger.path).find_task(task_id)
    assert found is not None
    assert found.state is TakeState.SUCCEEDED
    assert found.file == str(result.path)
    assert harness.sandbox.tasks_created == 1


async def test_ids_that_clean_up_alike_are_saved_in_files_of_their_own(
    harness: Harness, tmp_path: Path
) -> None:
    alike = ["sora:29f7383633af", "sora.29f7383633af", "sora_29f7383633af", "SORA_29f7383633af"]
    paths = []
    for number, task_id in enumerate(alike):
        harness.sandbox.faults.add("create", "task_id", value=task_id)
        [made] = await submit_tasks(harness.client, planned(f"Shot {number}"), seed=1)
        result = await collect_video(harness.client, made.task_id, tmp_path, clock=harness.clock)
        paths.append(result.path.name.lower())  # Windows and macOS fold case
    assert len(set(paths)) == len(alike), paths


@pytest.mark.parametrize(
    "task_id", ["bad\nid", "with space", "x" * 5000], ids=["newline", "space", "5000 chars"]
)
async def test_a_create_answered_with_an_unusable_id_is_unknown_shown_and_never_resent(
    harness: Harness, tmp_path: Path, task_id: str
) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    harness.sandbox.faults.add("create", "task_id", value=task_id)
    with pytest.raises(CreateOutcomeUnknownError) as raised:
        await submit_tasks(harness.client, planned("A harbour"), ledger=ledger, seed=5)
    assert repr(task_id[:100])[:-1] in str(raised.value)  # the raw id, escaped, is shown
    [entry] = await FileLedger(ledger.path).entries()
    assert entry.state is TakeState.UNKNOWN
    assert repr(task_id[:100])[:-1] in (entry.reason or "")
    with pytest.raises(CreateOutcomeUnknownError, match="may have been charged"):
        await submit_tasks(harness.client, planned("A harbour"), ledger=ledger, seed=5)
    assert harness.sandbox.tasks_created == 1  # paid once, never sent again


async def test_an_unusable_id_is_never_pointed_at_adopt_but_at_the_service_or_forget(
    harness: Harness, tmp_path: Path
) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    harness.sandbox.faults.add("create", "task_id", value="bad id")
    with pytest.raises(CreateOutcomeUnknownError) as first:
        await submit_tasks(harness.client, planned("A quay"), ledger=ledger, seed=2)
    with pytest.raises(CreateOutcomeUnknownError) as again:
        await submit_tasks(harness.client, planned("A quay"), ledger=ledger, seed=2)
    [entry] = await ledger.entries()
    for raised in (first, again):
        said = str(raised.value)
        assert "tasks adopt" not in said  # `freesora tasks adopt` refuses such an id
        assert "Video Result" not in said  # and so does Video Result
        assert "'bad id'" in said
        assert "contact the service" in said
    assert f"freesora tasks forget {entry.take_key[:12]}" in str(again.value)
