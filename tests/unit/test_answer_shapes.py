"""Answers in every shape the service has been seen to use, read by the one parser: numbers or
strings, objects or strings."""

from __future__ import annotations

from typing import Any

import pytest

from freesora.errors import UnexpectedResponseError
from freesora.service.answers import parse_status

URL = "https://cdn.example/v.mp4"


@pytest.mark.parametrize(
    ("progress", "read"),
    [("50%", 50.0), (" 50 % ", 50.0), ("50", 50.0), (50, 50.0), ("abc", None), (True, None)],
)
def test_progress_is_read_from_numbers_and_percent_strings(progress: Any, read: Any) -> None:
    assert parse_status({"status": "running", "progress": progress}, "t1").progress == read


@pytest.mark.parametrize(
    "urls",
    [
        [URL],
        URL,
        [{"url": URL}],
        {"url": URL},
        [{"video_url": URL, "type": "mp4"}],
        [None, {"url": 3}, URL],
    ],
)
def test_result_urls_are_read_from_strings_or_objects_with_a_url(urls: Any) -> None:
    assert parse_status({"status": "succeeded", "result_urls": urls}, "t1").video_url == URL


@pytest.mark.parametrize(
    ("reason", "read"),
    [
        ("Content policy", "Content policy"),
        ({"code": "E1", "message": "Content policy"}, "Content policy"),
        ({"error": {"msg": "Content policy"}}, "Content policy"),
        (["Content policy", "again"], "Content policy; again"),
        ({"weird": 1}, '{"weird": 1}'),
    ],
)
def test_a_failure_reason_is_read_from_a_string_or_an_object(reason: Any, read: str) -> None:
    assert parse_status({"status": "failed", "failure_reason": reason}, "t1").reason == read


@pytest.mark.parametrize(("raw", "read"), [(123, "123"), ("  abc ", "abc"), (7.0, "7")])
def test_a_task_id_is_read_from_a_number_or_a_string(raw: Any, read: str) -> None:
    assert parse_status({"taskId": raw, "status": "running"}, "t1").task_id == read


def test_unknown_fields_are_ignored_and_refund_flags_read_from_text() -> None:
    status = parse_status({"status": "fail", "credits_refunded": "true", "new": [1]}, "t1")
    assert status.credits_refunded is True


@pytest.mark.parametrize("data", [None, "running", [1, 2], 3])
def test_a_status_that_is_no_object_is_an_unexpected_answer_naming_the_task(data: Any) -> None:
    with pytest.raises(UnexpectedResponseError) as caught:
        parse_status(data, "t1")
    assert "t1" in str(caught.value)
    assert "freesora wait t1" in str(caught.value)
