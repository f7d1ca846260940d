"""Result downloads: a task's video streamed from the service's storage into a file.

Sent without the Authorization header (the storage host never sees the key), on a session of
its own whose resolver connects only to checked public addresses (`addresses.py`), retried like
every read-only call, bounded in size, time and redirects, stoppable within `CANCEL_CHECK_S`,
and written off the event loop (`part_file.py`) through a unique temp file beside the
destination, so a failure never leaves half a video behind and two collections of one task
never clash.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp

from ..config import DEFAULT_MAX_DOWNLOAD_BYTES
from ..errors import DownloadError
from .addresses import AddressRefused, refuse_redirect, refuse_result_url
from .download_job import (
    HEAD_BYTES,
    DownloadJob,
    DownloadTimeouts,
    ShouldCancel,
    check_size,
    check_stop,
    check_video,
    failed,
    refused,
    unwritable,
)
from .download_session import download_session, proxy_for
from .failures import describe_exception
from .part_file import OpenPart, PartWriter, open_beside
from .retry import Outcome, RetryPolicy, classify, may_resend, retry_delay

MAX_DOWNLOAD_BYTES = DEFAULT_MAX_DOWNLOAD_BYTES
CHUNK_BYTES = 256 * 1024
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CANCEL_CHECK_S = 0.25  # cancel and the deadline are noticed this often, well within 1 s


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
    max_bytes: int = MAX_DOWNLOAD_BYTES,
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
