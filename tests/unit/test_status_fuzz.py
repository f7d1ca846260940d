"""Fuzz: whatever JSON check-result answers, the pack raises only its own errors.

Random shapes go to the one parser (`parse_status`, via the envelope reader), and a sample of
them is served by a real aiohttp server on 127.0.0.1 to a real client.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from freesora.config import ApiKey, Settings
from freesora.errors import FreeSoraError
from freesora.schemas import TaskStatus
from freesora.service.answers import parse_status, read_answer
from freesora.service.client import STATUS_PATH, FreeSoraClient
from freesora.service.retry import RetryPolicy

KEYS = [
    "taskId", "task_id", "id", "status", "progress", "result_urls", "resultUrls", "result_url",
    "failure_reason", "failReason", "error_message", "errorMessage", "credits_refunded", "url",
    "message", "code", "data",
]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["50%", "succeeded", "running", "https://x.example/v.mp4", "", "1e999"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=20,
)
status_data = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8) | json_values
envelopes = st.fixed_dictionaries(
    {"code": st.sampled_from([0, 0, 0, 455, 505, "0", 1.5, None])},
    optional={"message": json_values, "data": status_data},
)


def _read(body: Any) -> TaskStatus:
    envelope = read_answer(200, "application/json", json.dumps(body), task_id="t1")
    return parse_status(envelope.data, "t1")


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(envelopes)
def test_any_check_result_answer_is_read_or_refused_with_a_pack_error(body: Any) -> None:
    try:
        status = _read(body)
    except FreeSoraError as exc:
        refusal: FreeSoraError | None = exc
    else:
        refusal = None
    if refusal is not None:
        # Says which task, or carries the service's own code/status.
        assert refusal.task_id == "t1" or refusal.code is not None or refusal.status is not None
        return
    assert status.task_id
    assert all(url.startswith(("http://", "https://")) for url in status.result_urls)
    assert status.progress is None or 0 <= status.progress <= 100
    for text in (status.failure_reason, status.error_message, status.raw_status):
        assert text is None or isinstance(text, str)


async def _serve(bodies: list[Any]) -> list[BaseException | TaskStatus]:
    queue = list(bodies)

    async def answer(request: web.Request) -> web.Response:
        return web.json_response(queue.pop(0))

    app = web.Application()
    app.router.add_post(STATUS_PATH, answer)
    async with TestServer(app, host="127.0.0.1") as server:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            base = str(server.make_url("")).rstrip("/")
            client = FreeSoraClient(
                session, Settings(base, ApiKey("sk-test"), "test"), policy=RetryPolicy(attempts=1)
            )
            results: list[BaseException | TaskStatus] = []
            for _ in bodies:
                try:
                    results.append(await client.status("t1"))
                except FreeSoraError as exc:
                    results.append(exc)
            return results


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(envelopes, min_size=1, max_size=10))
def test_random_answers_served_over_http_never_raise_anything_but_pack_errors(
    bodies: list[Any],
) -> None:
    results = asyncio.run(_serve(bodies))
    assert len(results) == len(bodies)
