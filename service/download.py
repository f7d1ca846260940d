"""Result downloads: a task's video streamed from the service's storage into a file.

Sent without the Authorization header (the storage host never sees the key), retried like every
read-only call, and written atomically so a failure never leaves half a video behind.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from ..errors import DownloadError
from .retry import Outcome, RetryPolicy, classify_exception, may_resend, retry_delay

MAX_DOWNLOAD_BYTES = 1024 * 1024 * 1024  # far above a 25 s 1080p clip; stops a runaway body
CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class DownloadTimeouts:
    connect_s: float = 15.0
    read_s: float = 60.0


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
) -> Path:
    """Stream `url` into `dest` (atomically) without our Authorization header."""
    policy = policy or RetryPolicy()
    timeouts = timeouts or DownloadTimeouts()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await _download_once(session, url, dest, proxy, timeouts, max_bytes, task_id)
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
            outcome = classify_exception(exc)
            detail = f"{type(exc).__name__}: {exc}".rstrip(": ")
        except _RetryableHTTPError as exc:
            outcome, detail = Outcome.SERVER_ERROR, f"HTTP {exc.status}"
        if not may_resend(outcome, idempotent=True) or attempt >= policy.attempts:
            raise DownloadError(
                f"Could not download the video of task {task_id or '?'} ({detail}). "
                "The result URL may have expired; run the result step again to get a fresh "
                "one.",
                task_id=task_id,
            )
        await sleep(retry_delay(attempt, policy, rand()))


async def _download_once(
    session: aiohttp.ClientSession,
    url: str,
    dest: Path,
    proxy: str | None,
    timeouts: DownloadTimeouts,
    max_bytes: int,
    task_id: str | None,
) -> Path:
    timeout = aiohttp.ClientTimeout(sock_connect=timeouts.connect_s, sock_read=timeouts.read_s)
    part = dest.with_name(dest.name + ".part")
    async with session.get(url, timeout=timeout, proxy=proxy) as resp:
        if resp.status in (408, 429) or resp.status >= 500:
            raise _RetryableHTTPError(resp.status)
        if resp.status != 200:
            raise DownloadError(
                f"The video of task {task_id or '?'} could not be fetched: HTTP {resp.status}. "
                "The result URL may have expired (they last about 24 h).",
                status=resp.status,
                task_id=task_id,
            )
        _check_size(resp.content_length, max_bytes, task_id)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            await _stream_to(part, resp, max_bytes, task_id)
        except BaseException:
            part.unlink(missing_ok=True)  # never leave half a video behind
            raise
    part.replace(dest)
    return dest


async def _stream_to(
    part: Path, resp: aiohttp.ClientResponse, max_bytes: int, task_id: str | None
) -> None:
    written = 0
    with part.open("wb") as handle:
        async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
            written += len(chunk)
            _check_size(written, max_bytes, task_id)
            handle.write(chunk)


def _check_size(size: int | None, max_bytes: int, task_id: str | None) -> None:
    if size is not None and size > max_bytes:
        raise DownloadError(
            f"The video of task {task_id or '?'} is larger than the {max_bytes:,}-byte limit; "
            "not downloaded.",
            task_id=task_id,
        )
