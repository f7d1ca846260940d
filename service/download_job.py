"""One download's fixed facts, and how its checks and failures are worded.

Split from `download.py` (the HTTP and file flow) so each stays small; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import ENV_MAX_DOWNLOAD
from ..errors import DownloadError, TaskTimeoutError, WaitCancelledError
from .part_file import OpenPart
from .polling import resume_hint

# What a video file starts with: ISO BMFF (MP4/MOV) boxes at offset 4, or WebM's EBML magic.
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
HEAD_BYTES = 12  # enough of the start to recognise a video

ShouldCancel = Callable[[], bool]


@dataclass(frozen=True)
class DownloadTimeouts:
    connect_s: float = 15.0
    read_s: float = 60.0


@dataclass(frozen=True)
class DownloadJob:
    """One download's fixed facts: where from, where to, and its limits."""

    url: str
    dest: Path
    task: str
    host: str
    proxy: str | None
    timeouts: DownloadTimeouts
    max_bytes: int
    base_url: str | None
    open_part: OpenPart


def check_stop(
    job: DownloadJob,
    should_cancel: ShouldCancel | None,
    until: float | None,
    clock: Callable[[], float],
    deadline_s: float | None,
) -> None:
    if should_cancel is not None and should_cancel():
        raise WaitCancelledError(
            f"Stopped downloading the video of task {job.task} from {job.host}. "
            f"{resume_hint(job.task)}",
            task_id=job.task,
        )
    if until is not None and clock() >= until:
        raise TaskTimeoutError(
            f"The video of task {job.task} did not finish downloading from {job.host} within "
            f"the wait's timeout ({deadline_s:.0f} s left when it started). "
            f"{resume_hint(job.task)}",
            task_id=job.task,
        )


def check_size(job: DownloadJob, size: int | None) -> None:
    if size is not None and size > job.max_bytes:
        raise DownloadError(
            f"The video of task {job.task} from {job.host} is larger than the "
            f"{job.max_bytes:,}-byte limit; not downloaded (raise {ENV_MAX_DOWNLOAD} if it is "
            "expected).",
            task_id=job.task,
        )


def looks_like_video(content_type: str, head: bytes) -> bool:
    """A video content type, or the first bytes of an MP4/MOV/WebM file."""
    if not head:
        return False
    if content_type.lower().startswith("video/"):
        return True
    return head[4:8] in _ISO_BOXES or head.startswith(_EBML_MAGIC)


def check_video(job: DownloadJob, content_type: str, head: bytes) -> None:
    if not looks_like_video(content_type, head):
        got = content_type or "no content type" if head else "an empty body"
        raise DownloadError(
            f"The result of task {job.task} from {job.host} is not a video ({got}); nothing "
            "was saved. The result URL may have expired or been replaced; run the result step "
            "again, and tell the service if it persists.",
            task_id=job.task,
        )


def failed(job: DownloadJob, why: str) -> DownloadError:
    return DownloadError(
        f"The video of task {job.task} was not downloaded from {job.host}: {why}.",
        task_id=job.task,
    )


def refused(job: DownloadJob, why: str) -> DownloadError:
    # Not retried: the service gave this URL, and asking again gives the same one.
    return DownloadError(
        f"The result URL of task {job.task} was not fetched from {job.host}: {why}. Nothing was "
        f"downloaded. The service should not give such a URL: tell it about task {job.task}. "
        "Only public addresses are fetched, and the service's own origin (FREESORA_BASE_URL, "
        "e.g. the sandbox on 127.0.0.1).",
        task_id=job.task,
    )


def unwritable(job: DownloadJob, exc: OSError) -> DownloadError:
    return DownloadError(
        f"The video of task {job.task} could not be written to {job.dest.parent} "
        f"({exc.strerror or exc}); nothing was saved. The task is kept: free some space or "
        f"fix the folder, then run the Sora 2 Video Result again or `freesora wait {job.task}` "
        "(no new credits are spent).",
        task_id=job.task,
    )
