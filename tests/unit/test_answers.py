"""Every answer of the service becomes its data or one clear error (pure, no network)."""

from __future__ import annotations

import pytest

from freesora.errors import (
    AuthenticationError,
    InsufficientCreditsError,
    RateLimitedError,
    ServiceError,
    TaskNotFoundError,
    UnexpectedResponseError,
)
from freesora.service.answers import read_answer

JSON = "application/json"


def test_code_zero_is_success_and_gives_the_data() -> None:
    envelope = read_answer(
        200, JSON, '{"code": 0, "message": "ok", "data": {"taskId": "t"}}', task_id=None
    )
    assert envelope.data == {"taskId": "t"}


@pytest.mark.parametrize(
    ("code", "error", "fragment"),
    [
        (401, AuthenticationError, "FREESORA_API_KEY"),
        (402, InsufficientCreditsError, "Top up"),
        (429, RateLimitedError, "rate limiting"),
        (422, ServiceError, "prompt too long"),
        (455, ServiceError, "prompt too long"),
    ],
)
def test_a_non_zero_code_with_http_200_is_an_error(
    code: int, error: type[Exception], fragment: str
) -> None:
    body = f'{{"code": {code}, "message": "prompt too long", "data": null}}'
    with pytest.raises(error) as info:
        read_answer(200, JSON, body, task_id=None)
    assert fragment in str(info.value)
    assert f"code {code}" in str(info.value)


def test_an_unknown_task_is_not_found_naming_the_task() -> None:
    with pytest.raises(TaskNotFoundError, match="task abc"):
        read_answer(200, JSON, '{"code": 404, "message": "Task not found"}', task_id="abc")


def test_a_proxys_html_page_is_described_not_dumped() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    with pytest.raises(ServiceError) as info:
        read_answer(502, "text/html", page, task_id="t1")
    assert "HTML page" in str(info.value)
    assert "nginx" not in str(info.value)
    assert info.value.status == 502
    assert info.value.task_id == "t1"


def test_an_unreadable_success_is_unexpected() -> None:
    with pytest.raises(UnexpectedResponseError, match="not its JSON envelope"):
        read_answer(200, JSON, "{not json", task_id=None)


def test_a_redirect_is_an_error_not_followed() -> None:
    with pytest.raises(ServiceError, match="FREESORA_BASE_URL"):
        read_answer(302, "text/plain", "", task_id=None)


def test_a_json_error_status_keeps_the_services_message() -> None:
    with pytest.raises(ServiceError, match="overloaded") as info:
        read_answer(503, JSON, '{"code": 503, "message": "overloaded"}', task_id=None)
    assert info.value.code == 503
