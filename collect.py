"""From a task id to a video file: wait for the task, then download its result.

One code path for `freesora wait`, the demo and the result node.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import (
    FreeSoraError,
    InvalidRequestError,
    TaskCancelledError,
    TaskFailedError,
    TasksFailedError,
    WaitCancelledError,
)
from .ledger.journal import Journal
from .schemas import TaskStatus
from .schemas.models import WAIT_TIMEOUT_DEFAULT_S
from .service.polling import wait_for_task

if TYPE_CHECKING:
    from .service.client import FreeSoraClient

_TASK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,127}$")


@dataclass(frozen=True)
class VideoResult:
    task_id: str
    path: Path
    url: str
    status: TaskStatus


def clean_task_id(raw: str) -> str:
    """A pasted task id, trimmed; refuses anything that could not be an id (or a file name)."""
    task_id = raw.strip().strip("\"'").strip()
    if not _TASK_ID.match(task_id):
        shown = task_id if len(task_id) <= 40 else task_id[:40] + "..."
        raise InvalidRequestError(
            f"task_id must be the id printed when the task was created (letters, digits, - and _),"
            f" got {shown!r}",
            field="task_id",
        )
    return task_id


def video_filename(task_id: str) -> str:
    return f"freesora_{task_id}.mp4"


async def collect_video(
    client: FreeSoraClient,
    task_id: str,
    out_dir: Path,
    *,
    journal: Journal | None = None,
    **wait_options: Any,
) -> VideoResult:
    """Wait for `task_id` (options as `polling.wait_for_task`) and save its video in `out_dir`.

    The journal, when given, records how the task ended (succeeded with its file, failed with
    the reason, or cancelled), so `freesora tasks` and the history node can tell.
    """
    task_id = clean_task_id(task_id)
    # The wait's timeout covers the download too, and Cancel reaches it.
    clock = wait_options.get("clock") or time.monotonic
    until = clock() + float(wait_options.get("timeout_s", WAIT_TIMEOUT_DEFAULT_S))
    try:
        status = await wait_for_task(client, task_id, **wait_options)
    except (TaskFailedError, TaskCancelledError) as exc:
        if journal is not None:
            ended = "failed" if isinstance(exc, TaskFailedError) else "cancelled"
            journal.record_finished(task_id, ended, reason=getattr(exc, "reason", None))
        raise
    url = status.video_url
    assert url is not None  # wait returns only succeeded tasks that have a URL
    path = await client.download(
        url,
        Path(out_dir) / video_filename(task_id),
        task_id=task_id,
        deadline_s=max(0.0, until - clock()),
        should_cancel=wait_options.get("should_cancel"),
    )
    if journal is not None:
        journal.record_finished(task_id, "succeeded", url=url, file=str(path))
    return VideoResult(task_id=task_id, path=path, url=url, status=status)


Collected = VideoResult | FreeSoraError


async def collect_videos(
    client: FreeSoraClient,
    task_ids: Sequence[str],
    out_dir: Path,
    *,
    options_for: Callable[[int], dict[str, Any]],
    **common: Any,
) -> list[Collected]:
    """Every task collected at once; each a `VideoResult` or the error that ended it, in order.

    `options_for(i)` gives task i's own options and `common` those of all (`collect_video`'s,
    e.g. where to record the ends). A task that fails, times out or cannot be downloaded does
    not stop the others; a cancelled wait (the user's Cancel) or anything unforeseen stops them
    all and is raised.
    """

    async def one(index: int) -> Collected:
        try:
            return await collect_video(
                client, task_ids[index], out_dir, **common, **options_for(index)
            )
        except WaitCancelledError:
            raise
        except FreeSoraError as exc:
            return exc

    waits = [asyncio.ensure_future(one(index)) for index in range(len(task_ids))]
    try:
        return list(await asyncio.gather(*waits))
    finally:
        for wait in waits:  # after an interruption the other waits must not go on
            wait.cancel()


def failures_error(task_ids: Sequence[str], results: Sequence[Collected]) -> FreeSoraError:
    """The error that names every task of the batch that gave no video, and why."""
    failed = [r for r in results if isinstance(r, FreeSoraError)]
    if len(task_ids) == 1:
        return failed[0]
    lines = "\n".join(
        f"- {failure_line(t, r)}" for t, r in zip(task_ids, results, strict=True) if r in failed
    )
    made = len(results) - len(failed)
    return TasksFailedError(
        f"{len(failed)} of {len(task_ids)} tasks gave no video:\n{lines}\n"
        f"The other {made} were downloaded. Set on_error to skip to save them and go on.",
        failures=failed,
    )


def failure_line(task_id: str, error: FreeSoraError) -> str:
    """The error, naming its task (most messages already do)."""
    text = str(error)
    return text if task_id in text else f"task {task_id}: {text}"


def format_elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def status_text(status: TaskStatus, elapsed_s: float) -> str:
    """`running 45% 01:23`: the words shown on a node or a terminal line."""
    progress = "" if status.progress is None else f" {status.progress:.0f}%"
    state = status.raw_status or status.state.value
    return f"{state}{progress} {format_elapsed(elapsed_s)}"
