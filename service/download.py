"""Result downloads: a task's video streamed from the service's storage into a file.

Sent without the Authorization header (the storage host never sees the key), retried like every
read-only call, bounded in size, time and redirects, stoppable within `CANCEL_CHECK_S`, and
written through a unique temp file beside the destination, so a failure never leaves half a
video behind and two collections of one task never clash.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

import aiohttp

from ..config import DEFAULT_MAX_DOWNLOAD_BYTES, ENV_MAX_DOWNLOAD
from ..errors import DownloadError, TaskTimeoutError, WaitCancelledError
from .addresses import is_local_host, refuse_redirect, refuse_result_url
from .polling import resume_hint
from .retry import Outcome, RetryPolicy, classify_exception, may_resend, retry_delay

MAX_DOWNLOAD_BYTES = DEFAULT_MAX_DOWNLOAD_BYTES
CHUNK_BYTES = 256 * 1024
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CANCEL_CHECK_S = 0.25  # cancel and the deadline are noticed this often, well within 1 s
# What a video file starts with: ISO BMFF (MP4/MOV) boxes at offset 4, or WebM's EBML magic.
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_HEAD_BYTES = 12

ShouldCancel = Callable[[], bool]


@dataclass(frozen=True)
class DownloadTimeouts:
    connect_s: float = 15.0
    read_s: float = 60.0


@dataclass(frozen=True)
class _Job:
    """One download's fixed facts: where from, where to, and its limits."""

    url: str
    dest: Path
    task: str
    host: str
    proxy: str | None
    timeouts: DownloadTimeouts
    max_bytes: int
    base_url: str | None
    allow_local: bool


class _RetryableHTTPError(Exception):
    """Internal signal, never raised to callers: a download answered 408/429/5xx."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


async def download(
    session: aiohttp.ClientSession,
    url: str,
    dest: Path,
    *,
    proxy: str | None = None,
    policy: RetryPolicy | None = None,
    timeouts: DownloadTimeouts | None = None,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    task_id: str | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rand: Callable[[], float] = random.random,
    deadline_s: float | None = None,
    should_cancel: ShouldCancel | None = None,
    base_url: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Path:
    """Stream `url` into `dest` without our Authorization header; see the module docstring.

    `deadline_s` bounds the whole download (retries included); `should_cancel` is asked every
    `CANCEL_CHECK_S`. `url` and every redirect pass `addresses.refuse_result_url` and
    `refuse_redirect`: loopback and private hosts only when `base_url` (the service the pack
    talks to) is itself local, as the sandbox is.
    """
    job = _Job(
        url,
        Path(dest),
        task_id or "?",
        urlsplit(url).hostname or "?",
        proxy,
        timeouts or DownloadTimeouts(),
        max_bytes,
        base_url,
        is_local_host(urlsplit(base_url or "").hostname),
    )
    work = asyncio.ensure_future(_with_retries(session, job, policy or RetryPolicy(), sleep, rand))
    until = None if deadline_s is None else clock() + deadline_s
    try:
        while True:
            done, _ = await asyncio.wait({work}, timeout=CANCEL_CHECK_S)
            if done:
                return work.result()
            _check_stop(job, should_cancel, until, clock, deadline_s)
    finally:
        if not work.done():
            work.cancel()
            # Wait for its cleanup (the temp file is removed as it unwinds).
            await asyncio.gather(work, return_exceptions=True)


def _check_stop(
    job: _Job,
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


async def _with_retries(
    session: aiohttp.ClientSession,
    job: _Job,
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]],
    rand: Callable[[], float],
) -> Path:
    attempt = 0
    while True:
        attempt += 1
        try:
            return await _follow(session, job)
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
            outcome = classify_exception(exc)
            detail = f"{type(exc).__name__}: {exc}".rstrip(": ")
        except _RetryableHTTPError as exc:
            outcome, detail = Outcome.SERVER_ERROR, f"HTTP {exc.status}"
        if not may_resend(outcome, idempotent=True) or attempt >= policy.attempts:
            raise DownloadError(
                f"Could not download the video of task {job.task} from {job.host} ({detail}). "
                f"The task is kept: run the Sora 2 Video Result again later, or `freesora wait "
                f"{job.task}` (no new credits are spent).",
                task_id=job.task,
            )
        await sleep(retry_delay(attempt, policy, rand()))


async def _follow(session: aiohttp.ClientSession, job: _Job) -> Path:
    """GET the URL, following at most MAX_REDIRECTS redirects, each checked before it is asked."""
    timeout = aiohttp.ClientTimeout(
        sock_connect=job.timeouts.connect_s, sock_read=job.timeouts.read_s
    )
    if why := await refuse_result_url(job.url, job.base_url, job.allow_local):
        raise _refused(job, why)
    current = job.url
    for hop in range(MAX_REDIRECTS + 1):
        if hop and (why := await refuse_redirect(current, job.url, job.allow_local)):
            raise _failed(job, why)
        async with session.get(
            current, timeout=timeout, proxy=job.proxy, allow_redirects=False
        ) as resp:
            if resp.status in REDIRECT_STATUSES:
                location = resp.headers.get("Location", "").strip()
                if not location:
                    raise _failed(job, f"HTTP {resp.status} redirect without a Location")
                current = urljoin(current, location)
                continue
            _check_status(job, resp.status)
            return await _save(job, resp)
    raise _failed(job, f"more than {MAX_REDIRECTS} redirects")


def _check_status(job: _Job, status: int) -> None:
    if status in (408, 429) or status >= 500:
        raise _RetryableHTTPError(status)
    if status != 200:
        raise DownloadError(
            f"The video of task {job.task} could not be fetched from {job.host}: HTTP {status}. "
            "The result URL may have expired (they last about 24 h).",
            status=status,
            task_id=job.task,
        )


async def _save(job: _Job, resp: aiohttp.ClientResponse) -> Path:
    """Stream into a unique temp file beside `dest`, check it is a video, then rename."""
    _check_size(job, resp.content_length)
    job.dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=job.dest.parent, prefix=f".{job.dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            head = await _stream(job, resp, handle)
        _check_video(job, resp.content_type, head)
        os.replace(name, job.dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)  # never leave half a video behind
        raise
    return job.dest


async def _stream(job: _Job, resp: aiohttp.ClientResponse, handle: BinaryIO) -> bytes:
    """Write the body; returns its first bytes (for the video check)."""
    written, head = 0, b""
    async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
        written += len(chunk)
        _check_size(job, written)
        if len(head) < _HEAD_BYTES:
            head += chunk[: _HEAD_BYTES - len(head)]
        handle.write(chunk)
    return head


def _check_size(job: _Job, size: int | None) -> None:
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


def _check_video(job: _Job, content_type: str, head: bytes) -> None:
    if not looks_like_video(content_type, head):
        got = content_type or "no content type" if head else "an empty body"
        raise DownloadError(
            f"The result of task {job.task} from {job.host} is not a video ({got}); nothing "
            "was saved. The result URL may have expired or been replaced; run the result step "
            "again, and tell the service if it persists.",
            task_id=job.task,
        )


def _failed(job: _Job, why: str) -> DownloadError:
    return DownloadError(
        f"The video of task {job.task} was not downloaded from {job.host}: {why}.",
        task_id=job.task,
    )


def _refused(job: _Job, why: str) -> DownloadError:
    # Not retried: the service gave this URL, and asking again gives the same one.
    return DownloadError(
        f"The result URL of task {job.task} was not fetched from {job.host}: {why}. Nothing was "
        f"downloaded. The service should not give such a URL: tell it about task {job.task}. "
        "If the service really runs on your own machine or network, set FREESORA_BASE_URL to "
        "its local address.",
        task_id=job.task,
    )
