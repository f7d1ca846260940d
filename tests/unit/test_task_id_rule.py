"""The one task-id rule (schemas/task_id.py): opaque ids pass, non-ids are refused by name, and
file names made from ids are safe everywhere and one per id."""

from __future__ import annotations

import pytest

from freesora.errors import InvalidRequestError
from freesora.schemas.task_id import TASK_ID_MAX_CHARS, clean_task_id, task_file_stem


@pytest.mark.parametrize(
    "raw",
    [
        "281e5b0f39b9",
        "sora.2026-12-04:29f7383633af",
        "a" * TASK_ID_MAX_CHARS,
        "video/2026/12/04/x",
        "tâche-é",
        "  'sora.2026-12-04:29f7383633af'  ",
    ],
)
def test_an_id_of_any_shape_passes_the_rule(raw: str) -> None:
    assert clean_task_id(raw) == raw.strip().strip("'")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "it is empty"),
        ("not an id!", "a space or a control character"),
        ("bad\x00id", "a space or a control character"),
        ("a" * (TASK_ID_MAX_CHARS + 1), f"more than {TASK_ID_MAX_CHARS}"),
    ],
)
def test_what_cannot_be_an_id_is_refused_naming_the_field(raw: str, problem: str) -> None:
    with pytest.raises(InvalidRequestError, match=problem) as raised:
        clean_task_id(raw)
    assert raised.value.field == "task_id"
    assert str(raised.value).startswith("task_id must be the id printed when the task was created")


def test_a_file_name_from_an_id_is_safe_everywhere_and_one_per_id() -> None:
    ids = ["a:b", "a.b", "a_b", "A_B", "a/b", "..", "CON", "x" * TASK_ID_MAX_CHARS, "x" * 1000]
    stems = [task_file_stem(task_id) for task_id in ids]
    assert task_file_stem("281e5b0f39b9") == "281e5b0f39b9"  # a plain id names its file
    assert len({stem.lower() for stem in stems}) == len(ids)
    for stem in stems:
        assert stem
        assert len(stem) <= 120
        assert set(stem) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
