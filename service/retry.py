"""Retry rules as small pure functions: what may be resent, and how long to wait first.

The rule that protects users' credits lives here: a create request is resent only when it provably
never reached the server, or the server said 429. Everything else after sending is "unknown".
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from dataclasses import dataclass
from enum import Enum

import aiohttp

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Envelope codes meaning "the server had a problem" (501 generation failed and 505 feature
# disabled are answers, not glitches).
RETRYABLE_CODES = frozenset({500, 502, 503, 504})
# Envelope codes that end a request whatever the HTTP status around them (a proxy may wrap a
# maintenance answer in a 503): 455 under maintenance, 501 generation failed, 505 disabled.
FINAL_CODES = frozenset({455, 501, 505})


class Outcome(str, Enum):
    """What one attempt of a request came to, as far as resending is concerned."""

    NOT_SENT = "not_sent"  # no connection was made: the server cannot have seen it
    RATE_LIMITED = "rate_limited"  # 429: the server saw it and refused it
    LOST = "lost"  # sent, then timeout/reset: the server may have acted on it
    SERVER_ERROR = "server_error"  # 408/5xx or unreadable answer: may have acted on it
    FINAL = "final"  # an answer that retrying will not change


@dataclass(frozen=True)
class RetryPolicy:
    """How many tries and how long between them. Injected, so tests need no sleeps."""

    attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    retry_after_cap_s: float = 60.0
    jitter: float = 0.25


def may_resend(outcome: Outcome, *, idempotent: bool) -> bool:
    """Whether a request with this outcome may be sent again.

    A create is not idempotent (the service honours no idempotency key: a second create is a
    second charge), so only outcomes that prove nothing was created allow it.
    """
    if outcome in (Outcome.NOT_SENT, Outcome.RATE_LIMITED):
        return True
    return idempotent and outcome in (Outcome.LOST, Outcome.SERVER_ERROR)


def classify_exception(exc: BaseException) -> Outcome:
    """The outcome of an attempt that raised instead of answering."""
    # Connect failures (refused, DNS, proxy, TLS handshake, connect timeout) happen before a
    # single byte of the request is written.
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return Outcome.NOT_SENT
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError):
        return Outcome.LOST
    return Outcome.FINAL


def classify_status(status: int, code: int | None = None) -> Outcome:
    """The outcome of an answer: its HTTP status, and the envelope's code when there was one."""
    if status == 429 or code == 429:
        return Outcome.RATE_LIMITED
    if code in FINAL_CODES:
        return Outcome.FINAL
    if status in RETRYABLE_STATUSES or code in RETRYABLE_CODES:
        return Outcome.SERVER_ERROR
    return Outcome.FINAL


def backoff_delay(attempt: int, policy: RetryPolicy, rand: float) -> float:
    """Exponential backoff with jitter; `attempt` counts from 1, `rand` is in [0, 1)."""
    delay = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1))
    return float(delay * (1 - policy.jitter + 2 * policy.jitter * rand))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def retry_delay(
    attempt: int, policy: RetryPolicy, rand: float, retry_after: str | None = None
) -> float:
    """How long to wait before the next try: the server's Retry-After (capped) or backoff."""
    asked = parse_retry_after(retry_after)
    if asked is not None:
        return min(asked, policy.retry_after_cap_s)
    return backoff_delay(attempt, policy, rand)
