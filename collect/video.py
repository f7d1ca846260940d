"""One task, from its id to a video file: wait for it, download its result, record how it ended.

One code path for `freesora wait`, the demo and the result node (through the facade). Videos go
where the caller says (ComfyUI's output/freesora for the nodes, --out for the CLI), never a temp
folder. A link storage refuses is replaced by a fresh one; the words a node or a terminal line
shows of a status (`status_text`) are here too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    DownloadError,
    LedgerError,
    ServiceError,
    TaskCancelledError,
    TaskFailedError,
)
from ..ledger import Entry, Ledger, TakeState, ending_of_error, journal_flags
from ..schemas import TaskStatus
from ..schemas.models import WAIT_TIMEOUT_DEFAULT_S
from ..schemas.task_id import clean_task_id, task_file_stem
from ..service.polling import ask_known, wait_for_task

if TYPE_CHECKING:
    from ..service.client import FreeSoraClient

logger = logging.getLogger("freesora.collect")
# What storage answers a link that expired or that it refuses (a CDN's signed URL): the video
# still exists, so check-result is asked for a fresh link, once after each of these pauses.
_EXPIRED_STATUSES = frozenset({403, 404, 410})
URL_REFRESH_DELAYS_S = (1.0, 5.0, 15.0)
PASTED_SUMMARY = "pasted into Video Result"  # what lists show of a task id given, not created


@dataclass(frozen=True)
class VideoResult:
    task_id: str
    path: Path
    url: str
    status: TaskStatus
    copied_from: Path | None = None  # saved before elsewhere: copied from there, not fetched


def video_filename(task_id: str) -> str:
    """The video's file name: safe on every file system, one per task (`task_file_stem`)."""
    return f"freesora_{task_file_stem(task_id)}.mp4"


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
    cancelled, generation failed or moderated, with the reason), so a later run of the same
    take creates a new task instead of reusing a dead one; a download that fails ends nothing.
    A task id it did not know (one pasted in) is recorded only once the service has said it
    knows it (`ask_known`): a typo, or a service that cannot be asked, leaves nothing behind.
    A task already saved whose file still exists is not fetched again, but copied into
    `out_dir` when it was saved elsewhere. The file recorded is always an absolute path.
    """
    task_id = clean_task_id(task_id)
    if ledger is not None:  # a `freesora wait` a message names records the end here too
        wait_options.setdefault(
            "resume_flags", " " + journal_flags(ledger, client.settings.profile)
        )
    out_dir = await asyncio.to_thread(Path(out_dir).absolute)  # recorded: never relative
    # The wait's timeout covers the download too, and Cancel reaches it.
    clock = wait_options.get("clock") or time.monotonic
    until = clock() + float(wait_options.get("timeout_s", WAIT_TIMEOUT_DEFAULT_S))
    if ledger is not None:
        entry = await ledger.find_task(task_id)
        if entry is None:
            await _remember_known(client, ledger, task_id, until - clock(), wait_options)
        else:
            saved = await _already_saved(ledger, entry, out_dir)
            if saved is not None:
                return saved
    try:
        status = await wait_for_task(client, task_id, **wait_options)
    except (TaskFailedError, TaskCancelledError, ServiceError) as exc:
        await _record_end(ledger, task_id, exc)
        raise
    dest = Path(out_dir) / video_filename(task_id)
    try:
        status, path = await _download_fresh(client, task_id, status, dest, until, wait_options)
    except (TaskFailedError, TaskCancelledError, ServiceError) as exc:
        await _record_end(ledger, task_id, exc)  # what a refresh found out
        raise
    url = status.video_url
    assert url is not None  # a succeeded status always names one
    await _record(ledger, task_id, TakeState.SUCCEEDED, url=url, file=str(path))
    return VideoResult(task_id=task_id, path=path, url=url, status=status)


async def _download_fresh(
    client: FreeSoraClient,
    task_id: str,
    status: TaskStatus,
    dest: Path,
    until: float,
    options: dict[str, Any],
) -> tuple[TaskStatus, Path]:
    """Download the task's video; a link storage refuses (403/404/410) is replaced by a fresh
    one from check-result, after each of URL_REFRESH_DELAYS_S. Never writes the task off: a
    task the service said succeeded keeps its take, so a later run collects it, not re-creates.

    `download` writes through a unique temp file beside `dest` and renames it into place: two
    collections of one task never share a file, and `dest` only ever holds a whole video.
    """
    clock = options.get("clock") or time.monotonic
    for pause_s in (*URL_REFRESH_DELAYS_S, None):
        url = status.video_url
        assert url is not None  # wait returns only succeeded tasks that have a URL
        try:
            path = await client.download(
                url,
                dest,
                task_id=task_id,
                deadline_s=max(0.0, until - clock()),
                should_cancel=options.get("should_cancel"),
            )
            return status, path
        except DownloadError as exc:
            if exc.status not in _EXPIRED_STATUSES:
                raise
            if pause_s is None:
                raise _link_lost(task_id, exc, options.get("resume_flags", "")) from None
        left = {"timeout_s": max(0.0, until - clock()), "first_pause_s": pause_s}
        status = await wait_for_task(client, task_id, **{**options, **left})
    raise AssertionError("unreachable: the last pass returns or raises")


def _link_lost(task_id: str, exc: DownloadError, flags: str) -> DownloadError:
    tries = len(URL_REFRESH_DELAYS_S) + 1
    return DownloadError(
        f"The video of task {task_id} could not be downloaded: its storage answered HTTP "
        f"{exc.status} to {tries} links in a row (the service was asked for a fresh one "
        f"{tries - 1} times). The task succeeded and is kept, so collecting it again costs "
        f"nothing: run the Sora 2 Video Result again later, or `freesora wait {task_id}{flags}`.",
        status=exc.status,
        task_id=task_id,
    )


async def _already_saved(ledger: Ledger, entry: Entry, out_dir: Path) -> VideoResult | None:
    """The video of a task saved before, in `out_dir` (copied there when it was saved
    elsewhere: the caller chose the folder), or None when it must be fetched."""
    task_id = entry.task_id
    if entry.state is not TakeState.SUCCEEDED or not entry.file or not entry.url or not task_id:
        return None
    saved = Path(entry.file)
    dest = out_dir / video_filename(task_id)
    try:
        path = await asyncio.to_thread(_copied, saved, dest)
    except OSError as exc:  # gone, or unreadable: collect it again
        logger.info("task %s: the video saved at %s is not used: %s", task_id, saved, exc)
        return None
    if path is None:
        return None  # gone (deleted, or an old journal's temp folder): collect it again
    if path != saved:
        await _record(ledger, task_id, TakeState.SUCCEEDED, url=entry.url, file=str(path))
    status = TaskStatus.model_validate(
        {"taskId": task_id, "status": "succeeded", "progress": 100, "result_urls": [entry.url]}
    )
    copied = None if path == saved else saved
    return VideoResult(task_id=task_id, path=path, url=entry.url, status=status, copied_from=copied)


def _copied(saved: Path, dest: Path) -> Path | None:
    """`saved` (absolute) if it is in `dest`'s folder already, else a copy of it at `dest`
    (through a temp file, so `dest` only ever holds a whole video); None if it is gone."""
    if not saved.is_file():
        return None
    here = saved.absolute()
    if here.parent.resolve() == dest.parent.resolve():
        return here
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:12]}.copy")  # one per copier
    try:
        shutil.copyfile(saved, part)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return dest


async def _record_end(ledger: Ledger | None, task_id: str, exc: BaseException) -> None:
    ending = ending_of_error(exc)
    if ending is not None:
        await _record(
            ledger,
            task_id,
            ending.state,
            reason=ending.reason,
            credits_refunded=ending.credits_refunded,
        )


async def _record(ledger: Ledger | None, task_id: str, state: TakeState, **details: Any) -> None:
    """A task's end, recorded; a ledger that cannot be written costs the record, not the video."""
    if ledger is None:
        return
    try:
        await ledger.record_outcome(task_id, state, **details)
    except LedgerError as exc:
        logger.warning("task %s ended %s; not recorded: %s", task_id, state.value, exc)


async def _remember_known(
    client: FreeSoraClient,
    ledger: Ledger,
    task_id: str,
    left_s: float,
    options: dict[str, Any],
) -> None:
    """A pasted id, recorded once the service has said it knows it (with its model, where
    the service says it); its not knowing it, or not answering, is raised and records
    nothing."""
    status = await ask_known(
        client,
        task_id,
        timeout_s=max(0.0, left_s),
        should_cancel=options.get("should_cancel"),
        clock=options.get("clock") or time.monotonic,
    )
    try:
        await ledger.remember(task_id, model=status.model or "", summary=PASTED_SUMMARY)
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
