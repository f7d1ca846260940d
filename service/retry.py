"""Retry rules as small pure functions: what an attempt came to, what may be resent, and how long
to wait first.

The rule that protects users' credits lives here, in one table (`RULES`): a create is "not sent,
nothing charged" only when what happened proves that the service created nothing. Everything
else after sending is "unknown": never resent, since a second create is a second charge.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

import aiohttp

from ..errors import FreeSoraError, ServiceError, UnexpectedResponseError

# Envelope codes the service refuses with before it charges: 400/422 validation, 401 key, 402
# credits, 455 maintenance, 505 feature disabled. Other codes prove nothing about a create.
REFUSAL_CODES = frozenset({400, 401, 402, 422, 455, 505})
# 501 "generation failed" is the service's answer about a task, not a glitch: asking again will
# not change it (but to a create it proves nothing).
FINAL_CODES = frozenset({501})
# Cloudflare's own pages for an origin it could not reach: down (521), unreachable (523), or no
# TLS handshake with it (525, 526). Each comes before the request is forwarded. Not 520, 522 or
# 524: those can follow a request the origin received.
CDN_NEVER_FORWARDED = frozenset({521, 523, 525, 526})
# The header that says the page is the CDN's own (Cloudflare's ray id), not the service's.
CDN_MARKERS = frozenset({"cf-ray"})


class Outcome(str, Enum):
    """What one attempt of a request came to, as far as resending is concerned."""

    NOT_SENT = "not_sent"  # the service cannot have seen it (no connection, or a CDN's page)
    RATE_LIMITED = "rate_limited"  # 429: the service saw it and refused it
    REFUSED = "refused"  # the service refused it before creating or charging anything
    LOST = "lost"  # sent, then timeout/reset: the server may have acted on it
    SERVER_ERROR = "server_error"  # 408/5xx or an unreadable answer: may have acted on it
    FINAL = "final"  # an answer that asking again will not change; proves nothing of a create


@dataclass(frozen=True)
class Answer:
    """What an answer is judged by: its HTTP status, the envelope's non-zero code when the body
    was the service's envelope, and whether a CDN's marker header came with it."""

    status: int
    code: int | None = None
    cdn_marker: bool = False


Happened = Answer | BaseException


@dataclass(frozen=True)
class Rule:
    """One row of the table: what happened, in words, and the outcome it leads to."""

    says: str
    outcome: Outcome
    matches: Callable[[Happened], bool]


def _answer(test: Callable[[Answer], bool]) -> Callable[[Happened], bool]:
    return lambda happened: isinstance(happened, Answer) and test(happened)


def _raised(*kinds: type[BaseException]) -> Callable[[Happened], bool]:
    return lambda happened: isinstance(happened, kinds)


# What an attempt that raised came to.
RAISED: tuple[Rule, ...] = (
    Rule(
        # Refused, DNS failure, proxy unreachable, TLS handshake, connect timeout, a proxy that
        # refused the tunnel (its answer to CONNECT): all before the request is written.
        "no connection was made (or a proxy refused to open one)",
        Outcome.NOT_SENT,
        _raised(
            aiohttp.ClientConnectorError,
            aiohttp.ConnectionTimeoutError,
            aiohttp.ClientHttpProxyError,
        ),
    ),
    Rule(
        "the connection failed after the request was sent",
        Outcome.LOST,
        _raised(aiohttp.ClientError, asyncio.TimeoutError, ConnectionError),
    ),
    Rule(
        "an answer the pack cannot read (not the envelope, too large, corrupt)",
        Outcome.SERVER_ERROR,
        _raised(UnexpectedResponseError),
    ),
)
# What an answer came to. The last row takes whatever no row above matched.
ANSWERED: tuple[Rule, ...] = (
    Rule(
        "429, as the status or the envelope's code",
        Outcome.RATE_LIMITED,
        _answer(lambda a: a.status == 429 or a.code == 429),
    ),
    Rule(
        "an envelope code the service refuses with (400, 401, 402, 422, 455, 505)",
        Outcome.REFUSED,
        _answer(lambda a: a.code in REFUSAL_CODES),
    ),
    Rule(
        "the envelope's code 501 (generation failed)",
        Outcome.FINAL,
        _answer(lambda a: a.code in FINAL_CODES),
    ),
    Rule(
        "another 5xx envelope code",
        Outcome.SERVER_ERROR,
        _answer(lambda a: a.code is not None and 500 <= a.code <= 599),
    ),
    Rule(
        "a CDN's own page that it never reached the service (Cloudflare 521, 523, 525, 526)",
        Outcome.NOT_SENT,
        _answer(lambda a: a.cdn_marker and a.status in CDN_NEVER_FORWARDED),
    ),
    Rule("HTTP 408", Outcome.SERVER_ERROR, _answer(lambda a: a.status == 408)),
    Rule(
        # The service validates a create (key, credits, fields) before it charges for it.
        "another 4xx status",
        Outcome.REFUSED,
        _answer(lambda a: 400 <= a.status <= 499),
    ),
    Rule(
        "another 5xx status (520, 522, 524 from a CDN too)",
        Outcome.SERVER_ERROR,
        _answer(lambda a: 500 <= a.status <= 599),
    ),
    Rule(
        "anything else: a redirect, an unknown code or status",
        Outcome.FINAL,
        lambda happened: True,
    ),
)
# The one table, read top down: the first row that matches decides.
RULES = RAISED + ANSWERED


@dataclass(frozen=True)
class RetryPolicy:
    """How many tries and how long between them. Injected, so tests need no sleeps."""

    attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    retry_after_cap_s: float = 60.0
    jitter: float = 0.25


def rule_for(happened: Happened) -> Rule:
    """The row of `RULES` that decides what `happened` (an answer, or what a try raised) means."""
    return next(rule for rule in RULES if rule.matches(happened))


def classify(happened: Happened) -> Outcome:
    return rule_for(happened).outcome


def outcome_of_error(exc: FreeSoraError, cdn: bool = False) -> Outcome:
    """What an answer read as an error came to: a service error by its status, its envelope
    code and (a CDN's page) `cdn`, the marker; anything else as it was raised."""
    if isinstance(exc, ServiceError):
        return classify(Answer(exc.status or 200, exc.code, cdn))
    return classify(exc)


def cdn_marker(header_names: Iterable[str]) -> bool:
    """Whether an answer's headers carry a CDN's own marker (its page, not the service's)."""
    return any(name.lower() in CDN_MARKERS for name in header_names)


def nothing_created(outcome: Outcome) -> bool:
    """Whether an attempt with this outcome proves that a create made (and charged) nothing."""
    return outcome in (Outcome.NOT_SENT, Outcome.RATE_LIMITED, Outcome.REFUSED)


def may_resend(outcome: Outcome, *, idempotent: bool) -> bool:
    """Whether a request with this outcome may be sent again.

    A create is not idempotent (the service honours no idempotency key: a second create is a
    second charge), so only outcomes that prove it never reached the service allow it, or a
    429. Status calls and downloads are asked again after anything that may pass.
    """
    if outcome in (Outcome.NOT_SENT, Outcome.RATE_LIMITED):
        return True
    return idempotent and outcome in (Outcome.LOST, Outcome.SERVER_ERROR)


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
