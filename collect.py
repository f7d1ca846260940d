"""From a task id to a video file: wait for the task, then download its result.

One code path for `freesora wait`, the demo and the result node. Videos go where the caller
says (ComfyUI's output/freesora for the nodes, --out for the CLI), never a temp folder.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import (
    DownloadError,
    InvalidRequestError,
    LedgerError,
    ServiceError,
    TaskCancelledError,
    TaskFailedError,
)
from .ledger.base import Ledger, TakeState
from .schemas import TaskStatus
from .service.polling import wait_for_task

if TYPE_CHECKING:
    from .service.client import FreeSoraClient

logger = logging.getLogger("freesora.collect")
_DEAD_CODES = frozenset({501})  # "generation failed": the task is over, not busy
_EXPIRED_STATUSES = frozenset({403, 404, 410})  # the video's URL outlived its storage
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
    ledger: Ledger | None = None,
    **wait_options: Any,
) -> VideoResult:
    """Wait for `task_id` (options as `polling.wait_for_task`) and save its video in `out_dir`.

    The ledger, when given, records how the task ended (succeeded with its file; failed,
    cancelled, generation failed, moderated or expired with the reason), so a later run of the
    same take creates a new task instead of reusing a dead one. A task id it did not know (one
    pasted in) is recorded first. A task already saved whose file still exists is not fetched
    again.
    """
    task_id = clean_task_id(task_id)
    if ledger is not None:
        saved = await _already_saved(ledger, task_id)
        if saved is not None:
            return saved
    try:
        status = await wait_for_task(client, task_id, **wait_options)
    except (TaskFailedError, TaskCancelledError, ServiceError) as exc:
        await _record_end(ledger, task_id, exc)
        raise
    url = status.video_url
    assert url is not None  # wait returns only succeeded tasks that have a URL
    try:
        path = await _download(client, url, Path(out_dir), task_id)
    except DownloadError as exc:
        await _record_end(ledger, task_id, exc)
        raise
    await _record(ledger, task_id, TakeState.SUCCEEDED, url=url, file=str(path))
    return VideoResult(task_id=task_id, path=path, url=url, status=status)


async def _already_saved(ledger: Ledger, task_id: str) -> VideoResult | None:
    entry = await ledger.find_task(task_id)
    if entry is None:
        await _remember(ledger, task_id)
        return None
    if entry.state is not TakeState.SUCCEEDED or not entry.file or not entry.url:
        return None
    path = Path(entry.file)
    if not await asyncio.to_thread(path.is_file):
        return None  # gone (deleted, or an old journal's temp folder): collect it again
    status = TaskStatus.model_validate(
        {"taskId": task_id, "status": "succeeded", "progress": 100, "result_urls": [entry.url]}
    )
    return VideoResult(task_id=task_id, path=path, url=entry.url, status=status)


async def _download(client: FreeSoraClient, url: str, out_dir: Path, task_id: str) -> Path:
    """Into a name of its own, then renamed: two collections of one task never share a file,
    and the final name only ever holds a whole video."""
    final = out_dir / video_filename(task_id)
    temp = out_dir / f".{final.stem}.{uuid.uuid4().hex[:12]}.mp4"
    path = await client.download(url, temp, task_id=task_id)
    await asyncio.to_thread(os.replace, path, final)
    return final


def ending_of(exc: BaseException) -> tuple[TakeState, str] | None:
    """How a collection error ends its task in the ledger, or None if the task may go on."""
    if isinstance(exc, TaskFailedError):
        return TakeState.FAILED, exc.reason or str(exc)
    if isinstance(exc, TaskCancelledError):
        return TakeState.CANCELLED, "cancelled on the service"
    if isinstance(exc, ServiceError) and exc.code in _DEAD_CODES:
        return TakeState.FAILED, f"generation failed (code {exc.code}): {exc}"
    if isinstance(exc, DownloadError) and exc.status in _EXPIRED_STATUSES:
        return TakeState.FAILED, f"its video expired (HTTP {exc.status})"
    return None


async def _record_end(ledger: Ledger | None, task_id: str, exc: BaseException) -> None:
    ending = ending_of(exc)
    if ending is not None:
        await _record(ledger, task_id, ending[0], reason=ending[1])


async def _record(ledger: Ledger | None, task_id: str, state: TakeState, **details: Any) -> None:
    """A task's end, recorded; a ledger that cannot be written costs the record, not the video."""
    if ledger is None:
        return
    try:
        await ledger.record_outcome(task_id, state, **details)
    except LedgerError as exc:
        logger.warning("task %s ended %s; not recorded: %s", task_id, state.value, exc)


async def _remember(ledger: Ledger, task_id: str) -> None:
    try:
        await ledger.remember(task_id, summary="pasted into Video Result")
    except LedgerError as exc:
        logger.warning("task %s could not be recorded: %s", task_id, exc)


def format_elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def status_text(status: TaskStatus, elapsed_s: float) -> str:
    """`running 45% 01:23`: the words shown on a node or a terminal line."""
    progress = "" if status.progress is None else f" {status.progress:.0f}%"
    state = status.raw_status or status.state.value
    return f"{state}{progress} {format_elapsed(elapsed_s)}"
