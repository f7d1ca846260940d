"""An unknown take's row in the FreeSora tab: from the request the take kept (its prompt or each
storyboard shot, its clip length and size; an image only as "with an image"), and for a take
recorded before the ledger kept it, read back from the summary `create.submit` writes."""

from __future__ import annotations

from typing import Any

import pytest

from freesora.config import Caller
from freesora.create import PlannedTask
from freesora.create.submit import _summary, kept_of
from freesora.ledger import Entry, TakeState, sent_parts, unknown_row
from freesora.ledger.sent_request import PROMPT_CHARS, read_request
from freesora.schemas import build_create_request

SHOTS = [{"scene": "A gull lands  on a post", "duration": 5}, {"scene": "It flies", "duration": 8}]


@pytest.mark.parametrize(
    ("fields", "start", "named"),
    [
        (
            {"model": "sora-2-pro-text-to-video", "prompt": "A fox, at dusk", "size": "high"},
            "A fox, at dusk",
            {"nFrames": "10", "size": "high"},
        ),
        (
            {"model": "sora-2-text-to-video", "prompt": "Rain | on glass", "n_frames": "15"},
            "Rain | on glass",
            {"nFrames": "15"},
        ),
        (
            {"model": "sora-2-pro-storyboard", "shots": SHOTS, "n_frames": "15"},
            "A gull lands on a post",
            {"nFrames": "15"},
        ),
    ],
)
def test_a_takes_summary_gives_back_its_prompt_length_and_size(
    fields: dict[str, Any], start: str, named: dict[str, str]
) -> None:
    summary = _summary(PlannedTask(build_create_request(**fields)))
    prompt, sent, read = sent_parts(summary)
    assert (prompt, read) == (start, named)
    assert sent.startswith(fields["model"])


def test_a_summary_without_a_prompt_or_a_length_gives_none() -> None:
    assert sent_parts("") == (None, "", {})
    assert sent_parts("sora-2-text-to-video, landscape") == (
        None,
        "sora-2-text-to-video, landscape",
        {},
    )


PNG_1PX = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQ"
    "GAhKmMIQAAAABJRU5ErkJggg=="
)


def lost(fields: dict[str, Any], *, kept: bool = True) -> Entry:
    """The entry of a take of `fields` whose answer was lost, as the ledger reads it back."""
    task = PlannedTask(build_create_request(**fields))
    return Entry(
        take_key="ab" * 32,
        account="a",
        model=fields["model"],
        seed=3,
        slot=0,
        state=TakeState.UNKNOWN,
        created_at=1.0,
        updated_at=1.0,
        summary=_summary(task),
        request=read_request(kept_of(task)) if kept else None,
    )


def row_of(entry: Entry) -> dict[str, Any]:
    priced: list[dict[str, str]] = []

    def price(body: dict[str, str]) -> float:
        priced.append(body)
        return 42.0

    row = unknown_row(entry, Caller(here=True), price)
    row["priced"] = priced
    return row


def test_a_storyboards_row_lists_each_shot_with_its_length_and_no_prompt() -> None:
    row = row_of(lost({"model": "sora-2-pro-storyboard", "shots": SHOTS, "n_frames": "15"}))
    assert row["shots"] == [
        {"seconds": 5, "prompt": "A gull lands on a post"},
        {"seconds": 8, "prompt": "It flies"},
    ]
    assert (row["prompt"], row["seconds"], row["image"]) == (None, 15, False)
    assert row["priced"] == [{"model": "sora-2-pro-storyboard", "nFrames": "15"}]


def test_a_long_prompt_is_kept_whole_up_to_its_cap_and_cut_at_a_word() -> None:
    words = "a lantern drifts over the night market " * 40  # 1,560 characters
    row = row_of(lost({"model": "sora-2-pro-text-to-video", "prompt": words, "size": "high"}))
    assert len(row["prompt"]) <= PROMPT_CHARS
    assert row["prompt"].endswith("…")
    assert words.startswith(row["prompt"][:-1])  # whole words only
    assert (row["seconds"], row["size"], row["aspect_ratio"]) == (10, "high", "landscape")
    assert row["priced"] == [{"model": "sora-2-pro-text-to-video", "nFrames": "10", "size": "high"}]


def test_an_image_take_says_an_image_went_with_it_and_keeps_no_image_data() -> None:
    fields = {"model": "sora-2-image-to-video", "prompt": "It wakes", "image_data": PNG_1PX}
    kept = kept_of(PlannedTask(build_create_request(**fields)))
    assert "base64" not in repr(kept)
    row = row_of(lost(fields))
    assert (row["prompt"], row["image"]) == ("It wakes", True)


def test_a_take_recorded_before_the_request_was_kept_falls_back_to_its_summary() -> None:
    fields = {"model": "sora-2-pro-storyboard", "shots": SHOTS, "n_frames": "15"}
    row = row_of(lost(fields, kept=False))
    assert (row["prompt"], row["shots"], row["seconds"]) == ("A gull lands on a post", None, 15)
    assert row["image"] is None  # not known for such a take


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        (None, None),
        ("a prompt", None),
        ({}, None),
        ({"prompt": 5, "seconds": "10", "shots": "x"}, None),
        ({"seconds": float("nan"), "prompt": "ok"}, {"prompt": "ok"}),
        ({"seconds": True, "image": "yes", "size": "high"}, {"size": "high"}),
        (
            {"shots": [{"seconds": 5, "prompt": "a"}, {"seconds": -1, "prompt": "b"}, "c"]},
            {"shots": [{"seconds": 5, "prompt": "a"}]},
        ),
    ],
)
def test_a_kept_request_of_the_wrong_shape_reads_back_without_its_bad_parts(
    stored: object, read: dict[str, Any] | None
) -> None:
    assert read_request(stored) == read
