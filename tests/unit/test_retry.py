"""The resend rules: the create is resent only when it provably never reached the server."""

from __future__ import annotations

import asyncio
import email.utils

import aiohttp
import pytest
import yarl
from multidict import CIMultiDict, CIMultiDictProxy

from freesora.errors import UnexpectedResponseError
from freesora.service.polling import poll_interval
from freesora.service.retry import (
    RULES,
    Answer,
    Happened,
    Outcome,
    RetryPolicy,
    backoff_delay,
    cdn_marker,
    classify,
    may_resend,
    nothing_created,
    parse_retry_after,
    retry_delay,
    rule_for,
)


def _key() -> aiohttp.client_reqrep.ConnectionKey:
    return aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 1, False, True, None, None, None)


def _connector_error() -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorError(_key(), ConnectionRefusedError(111, "Connection refused"))


def _tunnel_refused() -> aiohttp.ClientHttpProxyError:
    url = yarl.URL("http://127.0.0.1:3128")
    info = aiohttp.RequestInfo(url, "CONNECT", CIMultiDictProxy(CIMultiDict()), url)
    return aiohttp.ClientHttpProxyError(info, (), status=403, message="Forbidden")


def _dns_error() -> aiohttp.ClientConnectorError:
    # aiohttp before 3.11 raises the plain ClientConnectorError for a name it cannot look up.
    dns_error = getattr(aiohttp, "ClientConnectorDNSError", aiohttp.ClientConnectorError)
    return dns_error(_key(), OSError(-2, "Name or service not known"))


@pytest.mark.parametrize("outcome", list(Outcome))
def test_a_create_is_resent_only_when_not_sent_or_rate_limited(outcome: Outcome) -> None:
    expected = outcome in (Outcome.NOT_SENT, Outcome.RATE_LIMITED)
    assert may_resend(outcome, idempotent=False) is expected


@pytest.mark.parametrize("outcome", list(Outcome))
def test_status_calls_and_downloads_resend_all_but_refusals_and_final_answers(
    outcome: Outcome,
) -> None:
    expected = outcome not in (Outcome.REFUSED, Outcome.FINAL)
    assert may_resend(outcome, idempotent=True) is expected


@pytest.mark.parametrize("outcome", list(Outcome))
def test_only_a_refusal_or_a_request_the_service_never_saw_proves_nothing_was_created(
    outcome: Outcome,
) -> None:
    proven = outcome in (Outcome.NOT_SENT, Outcome.RATE_LIMITED, Outcome.REFUSED)
    assert nothing_created(outcome) is proven


# Each row of the table, with what happened that it decides (several for the wider rows).
ROWS: list[tuple[int, Outcome, list[Happened]]] = [
    (
        0,
        Outcome.NOT_SENT,
        [_connector_error(), aiohttp.ConnectionTimeoutError(), _dns_error(), _tunnel_refused()],
    ),
    (
        1,
        Outcome.LOST,
        [
            aiohttp.ServerDisconnectedError(),
            aiohttp.ClientOSError(104, "Connection reset by peer"),
            aiohttp.SocketTimeoutError(),
            asyncio.TimeoutError(),
            aiohttp.ClientPayloadError("truncated"),
            ConnectionResetError(),
        ],
    ),
    (2, Outcome.SERVER_ERROR, [UnexpectedResponseError("not the envelope", status=200)]),
    (3, Outcome.RATE_LIMITED, [Answer(429), Answer(200, 429), Answer(503, 429)]),
    (
        4,
        Outcome.REFUSED,
        [Answer(200, code) for code in (400, 401, 402, 422, 455, 505)]
        + [Answer(503, 455), Answer(500, 401), Answer(524, 402, cdn_marker=True)],
    ),
    (5, Outcome.FINAL, [Answer(200, 501), Answer(500, 501)]),
    (6, Outcome.SERVER_ERROR, [Answer(200, 500), Answer(200, 507), Answer(400, 503)]),
    (
        7,
        Outcome.NOT_SENT,
        [Answer(status, cdn_marker=True) for status in (521, 523, 525, 526)],
    ),
    (8, Outcome.SERVER_ERROR, [Answer(408), Answer(408, 1001)]),
    (
        9,
        Outcome.REFUSED,
        [Answer(400), Answer(403), Answer(404), Answer(404, 404), Answer(413), Answer(499)],
    ),
    (
        10,
        Outcome.SERVER_ERROR,
        [Answer(s) for s in (500, 502, 503, 504, 507, 520, 521, 524, 599)]
        + [Answer(s, cdn_marker=True) for s in (520, 522, 524)],
    ),
    (
        11,
        Outcome.FINAL,
        [Answer(200, 404), Answer(200, 1001), Answer(301), Answer(303), Answer(600), ValueError()],
    ),
]


def test_every_row_of_the_table_is_tested_here_in_order() -> None:
    assert [index for index, _, _ in ROWS] == list(range(len(RULES)))


@pytest.mark.parametrize(
    ("index", "outcome", "cases"), ROWS, ids=[RULES[index].says for index, _, _ in ROWS]
)
def test_each_row_decides_what_it_says(index: int, outcome: Outcome, cases: list[Happened]) -> None:
    assert RULES[index].outcome is outcome
    for happened in cases:
        assert rule_for(happened) is RULES[index], happened
        assert classify(happened) is outcome


def test_a_cdn_marker_is_its_header_whatever_its_case() -> None:
    assert cdn_marker(["Server", "CF-RAY"])
    assert cdn_marker(["cf-ray"])
    assert not cdn_marker(["Server", "X-Ray"])


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
