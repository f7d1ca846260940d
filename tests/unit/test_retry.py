"""The resend rules: the create is resent only when it provably never reached the server."""

from __future__ import annotations

import asyncio
import email.utils

import aiohttp
import pytest

from freesora.service.polling import poll_interval
from freesora.service.retry import (
    Outcome,
    RetryPolicy,
    backoff_delay,
    classify_exception,
    classify_status,
    may_resend,
    parse_retry_after,
    retry_delay,
)


def _connector_error() -> aiohttp.ClientConnectorError:
    key = aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 1, False, True, None, None, None)
    return aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))


@pytest.mark.parametrize("outcome", list(Outcome))
def test_a_create_is_resent_only_when_not_sent_or_rate_limited(outcome: Outcome) -> None:
    expected = outcome in (Outcome.NOT_SENT, Outcome.RATE_LIMITED)
    assert may_resend(outcome, idempotent=False) is expected


@pytest.mark.parametrize("outcome", list(Outcome))
def test_status_calls_and_downloads_resend_everything_but_final_answers(outcome: Outcome) -> None:
    assert may_resend(outcome, idempotent=True) is (outcome is not Outcome.FINAL)


def test_a_refused_connection_never_reached_the_server() -> None:
    assert classify_exception(_connector_error()) is Outcome.NOT_SENT
    assert classify_exception(aiohttp.ConnectionTimeoutError()) is Outcome.NOT_SENT


@pytest.mark.parametrize(
    "exc",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
        aiohttp.SocketTimeoutError(),
        asyncio.TimeoutError(),
        aiohttp.ClientPayloadError("truncated"),
        ConnectionResetError(),
    ],
)
def test_failures_after_connecting_may_have_reached_the_server(exc: BaseException) -> None:
    assert classify_exception(exc) is Outcome.LOST


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (429, None, Outcome.RATE_LIMITED),
        (200, 429, Outcome.RATE_LIMITED),
        (500, None, Outcome.SERVER_ERROR),
        (502, None, Outcome.SERVER_ERROR),
        (503, None, Outcome.SERVER_ERROR),
        (408, None, Outcome.SERVER_ERROR),
        (200, 500, Outcome.SERVER_ERROR),
        (200, 501, Outcome.FINAL),
        (200, 401, Outcome.FINAL),
        (200, 402, Outcome.FINAL),
        (404, None, Outcome.FINAL),
        (200, 422, Outcome.FINAL),
    ],
)
def test_answers_are_classified_by_status_and_envelope_code(
    status: int, code: int | None, outcome: Outcome
) -> None:
    assert classify_status(status, code) is outcome


def test_backoff_grows_exponentially_is_capped_and_jittered() -> None:
    policy = RetryPolicy(base_delay_s=1, max_delay_s=10, jitter=0.25)
    assert [backoff_delay(n, policy, 0.5) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert backoff_delay(1, policy, 0.0) == 0.75
    assert backoff_delay(1, policy, 0.999) == pytest.approx(1.25, abs=0.01)


def test_retry_after_in_seconds_or_as_a_date_is_honoured_and_capped() -> None:
    policy = RetryPolicy(retry_after_cap_s=60)
    assert retry_delay(1, policy, 0.5, "7") == 7
    assert retry_delay(1, policy, 0.5, "3600") == 60
    assert retry_delay(3, policy, 0.5, None) == backoff_delay(3, policy, 0.5)
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(date, now=1_000_000) == pytest.approx(30)
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0


def test_polling_slows_down_as_the_task_ages() -> None:
    assert [poll_interval(s) for s in (0, 29, 30, 179, 180, 3600)] == [3, 3, 8, 8, 15, 15]
