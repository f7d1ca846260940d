"""Cancel in ComfyUI reaches a wait as the core's interrupt exception: it must pass untouched.

Cores up to 0.3.64 derive InterruptProcessingException from Exception, newer ones from
BaseException; both are raised from the progress hook while a task is awaited.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Harness

from freesora.collect import collect_video
from freesora.ledger import FileLedger
from freesora.schemas import TaskState, TaskStatus, build_create_request


class OlderCoreInterrupt(Exception):
    """As comfy.model_management.InterruptProcessingException in ComfyUI 0.3.64."""


class NewerCoreInterrupt(BaseException):
    """As comfy.model_management.InterruptProcessingException in ComfyUI 0.28.2 and later."""


@pytest.mark.parametrize("interrupt", [OlderCoreInterrupt, NewerCoreInterrupt])
async def test_an_interrupt_from_the_progress_hook_ends_the_wait_as_itself(
    harness: Harness, tmp_path: Path, interrupt: type[BaseException]
) -> None:
    request = build_create_request(model="sora-2-text-to-video", prompt="A paper boat")
    task_id = await harness.client.create(request)
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    await ledger.remember(task_id, model="sora-2-text-to-video")
    raised = interrupt("Cancel pressed")

    def on_progress(status: TaskStatus, elapsed_s: float) -> None:
        if status.state is TaskState.RUNNING:
            raise raised

    with pytest.raises(interrupt) as caught:
        await collect_video(
            harness.client,
            task_id,
            tmp_path / "videos",
            ledger=ledger,
            on_progress=on_progress,
            clock=harness.clock,
        )
    assert caught.value is raised, "the interrupt was wrapped or replaced on its way out"
    assert not harness.sandbox.received.downloads, "an unfinished task was downloaded"
    [entry] = await ledger.entries()
    assert not entry.state.finished, "an interrupted wait must not mark the task as ended"
