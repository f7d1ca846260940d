"""An unknown take's row in the FreeSora tab is read back from the summary `create.submit`
writes: its prompt's start, its clip length and size, whatever the model."""

from __future__ import annotations

from typing import Any

import pytest

from freesora.create import PlannedTask
from freesora.create.submit import _summary
from freesora.ledger import sent_parts
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
