"""Result downloads: a task's video streamed from the service's storage into a file.

Sent without the Authorization header (the storage host never sees the key), on a session of
its own whose resolver connects only to checked public addresses (`addresses.py`), retried like
every read-only call, bounded in size, time and redirects, stoppable within `CANCEL_CHECK_S`,
and written off the event loop (`part_file.py`) through a unique temp file beside the
destination, so a failure never leaves half a video behind and two collections of one task
never clash. A download's fixed facts are one `DownloadJob`; its checks and failures are worded
below it, with no I/O.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp

from ..config import DEFAULT_MAX_DOWNLOAD_BYTES, ENV_MAX_DOWNLOAD
from ..errors import DownloadError, TaskTimeoutError, WaitCancelledError
from .addresses import AddressRefused, refuse_redirect, refuse_result_url
from .download_session import download_session, proxy_for
from .failures import describe_exception
from .part_file import OpenPart, PartWriter, open_beside
from .polling import ShouldCancel, resume_hint
from .retry import Outcome, RetryPolicy, classify, may_resend, retry_delay

CHUNK_BYTES = 256 * 1024
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CANCEL_CHECK_S = 0.25  # cancel and the deadline are noticed this often, well within 1 s
# What a video file starts with: ISO BMFF (MP4/MOV) boxes at offset 4, or WebM's EBML magic.
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
HEAD_BYTES = 12  # enough of the start to recognise a video


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


class _RetryableHTTPError(Exception):
    """Internal signal, never raised to callers: a download answered 408/429/5xx."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


async def download(
    url: str,
    dest: Path,
    *,
    proxy: str | None = None,
    policy: RetryPolicy | None = None,
    timeouts: DownloadTimeouts | None = None,
    max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
    task_id: str | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rand: Callable[[], float] = random.random,
    deadline_s: float | None = None,
    should_cancel: ShouldCancel | None = None,
    base_url: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    open_part: OpenPart = open_beside,
) -> Path:
    """Stream `url` into `dest` without our Authorization header; see the module docstring.

    `deadline_s` bounds the whole download (retries included); `should_cancel` is asked every
    `CANCEL_CHECK_S`. `url` and every redirect pass `addresses.refuse_result_url` and
    `refuse_redirect`, and every connection `addresses.PinnedResolver`: public addresses only,
    or `base_url`'s own origin (the service the pack talks to, e.g. the sandbox). `open_part`
    makes the temp file (`part_file.open_beside`).
    """
    job = DownloadJob(
        url,
        Path(dest),
        task_id or "?",
        urlsplit(url).hostname or "?",
        proxy,
        timeouts or DownloadTimeouts(),
        max_bytes,
        base_url,
        open_part,
    )
    work = asyncio.ensure_future(_with_retries(job, policy or RetryPolicy(), sleep, rand))
    until = None if deadline_s is None else clock() + deadline_s
    try:
        while True:
            done, _ = await asyncio.wait({work}, timeout=CANCEL_CHECK_S)
            if done:
                return work.result()
            check_stop(job, should_cancel, until, clock, deadline_s)
    finally:
        if not work.done():
            work.cancel()
            # Wait for its cleanup (the temp file is removed as it unwinds).
            await asyncio.gather(work, return_exceptions=True)


async def _with_retries(
    job: DownloadJob,
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]],
    rand: Callable[[], float],
) -> Path:
    async with download_session(job.base_url, job.proxy) as session:
        return await _attempts(session, job, policy, sleep, rand)


async def _attempts(
    session: aiohttp.ClientSession,
    job: DownloadJob,
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
            outcome = classify(exc)
            detail = describe_exception(exc, job.timeouts.read_s)
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


async def _follow(session: aiohttp.ClientSession, job: DownloadJob) -> Path:
    """GET the URL, following at most MAX_REDIRECTS redirects, each checked before it is asked
    (and its addresses when it is connected: `PinnedResolver`)."""
    current = job.url
    for hop in range(MAX_REDIRECTS + 1):
        proxy, proxy_auth = proxy_for(current, job.proxy)
        check = refuse_redirect if hop else refuse_result_url
        if why := await check(current, job.base_url, proxied=proxy is not None):
            raise failed(job, why) if hop else refused(job, why)
        try:
            location = await _get(session, job, current, proxy, proxy_auth)
        except AddressRefused as exc:
            if hop:
                raise failed(job, f"redirected to {exc.why}, which is not followed") from None
            raise refused(job, f"it points at {exc.why}") from None
        if isinstance(location, Path):
            return location
        current = urljoin(current, location)
    raise failed(job, f"more than {MAX_REDIRECTS} redirects")


async def _get(
    session: aiohttp.ClientSession,
    job: DownloadJob,
    url: str,
    proxy: str | None,
    proxy_auth: aiohttp.BasicAuth | None,
) -> Path | str:
    """One GET: the saved file, or where a redirect points."""
    timeout = aiohttp.ClientTimeout(
        sock_connect=job.timeouts.connect_s, sock_read=job.timeouts.read_s
    )
    async with session.get(
        url, timeout=timeout, proxy=proxy, proxy_auth=proxy_auth, allow_redirects=False
    ) as resp:
        if resp.status in REDIRECT_STATUSES:
            location = resp.headers.get("Location", "").strip()
            if not location:
                raise failed(job, f"HTTP {resp.status} redirect without a Location")
            return location
        _check_status(job, resp.status)
        return await _save(job, resp)


def _check_status(job: DownloadJob, status: int) -> None:
    if status in (408, 429) or status >= 500:
        raise _RetryableHTTPError(status)
    if status != 200:
        raise DownloadError(
            f"The video of task {job.task} could not be fetched from {job.host}: HTTP {status}. "
            "The result URL may have expired (they last about 24 h).",
            status=status,
            task_id=job.task,
        )


async def _save(job: DownloadJob, resp: aiohttp.ClientResponse) -> Path:
    """Stream into a unique temp file beside `dest` (written by its own thread), check it is a
    video, then rename it into place."""
    check_size(job, resp.content_length)
    try:
        writer = PartWriter(*job.open_part(job.dest))
    except OSError as exc:
        raise unwritable(job, exc) from None
    try:
        head = await _stream(job, resp, writer)
        check_video(job, resp.content_type, head)
        await writer.commit(job.dest)
    except OSError as exc:
        await writer.abort()
        if exc is writer.failure:
            raise unwritable(job, exc) from None
        raise
    except BaseException:
        await writer.abort()  # the thread removes the temp file: never half a video behind
        raise
    return job.dest


async def _stream(job: DownloadJob, resp: aiohttp.ClientResponse, writer: PartWriter) -> bytes:
    """Hand the body to the writer; returns its first bytes (for the video check)."""
    written, head = 0, b""
    async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
        written += len(chunk)
        check_size(job, written)
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        await writer.write(chunk)
    return head
