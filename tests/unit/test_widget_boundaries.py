"""Fixed examples for the widget -> request path: both sides of each boundary, and regressions.

Each goes through the same oracle as the property tests in test_properties.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from widget_oracle import check_queue_time_agrees, outcome
from widget_strategies import (
    IMAGE_IDS,
    INVALID_DATA_URLS,
    INVALID_URLS,
    STORYBOARD,
    TEXT_IDS,
    VALID_IMAGES,
    VALID_URLS,
    data_url,
)

from freesora.errors import InvalidRequestError

# --- Examples that pin both sides of each boundary ------------------------------------------


def text_widgets(**change: Any) -> dict[str, Any]:
    widgets = {
        "model": TEXT_IDS[0],
        "prompt": "A paper boat",
        "aspect_ratio": "landscape",
        "n_frames": "10",
        "size": "standard",
        "remove_watermark": True,
        "is_public": True,
    }
    return {**widgets, **change}


def image_widgets(**change: Any) -> dict[str, Any]:
    return text_widgets(model=IMAGE_IDS[0], **change)


@pytest.mark.parametrize(("prompt", "accepted"), [("x" * 10_000, True), ("x" * 10_001, False)])
def test_the_prompt_limit_is_10000_characters_inclusive(prompt: str, accepted: bool) -> None:
    assert isinstance(outcome(text_widgets(prompt=prompt)), dict) is accepted


@pytest.mark.parametrize("spec", VALID_IMAGES, ids=lambda spec: "-".join(spec))
def test_every_small_image_data_url_of_the_pool_is_accepted(spec: tuple[str, str]) -> None:
    assert isinstance(outcome(image_widgets(image_data=data_url(*spec))), dict)


@pytest.mark.parametrize("url", INVALID_DATA_URLS, ids=range(len(INVALID_DATA_URLS)))
def test_every_invalid_data_url_of_the_pool_is_refused_naming_image(url: str) -> None:
    result = outcome(image_widgets(image_data=url))
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image"


@pytest.mark.parametrize("url", INVALID_URLS)
def test_every_invalid_image_url_of_the_pool_is_refused_naming_image_url(url: str) -> None:
    result = outcome(image_widgets(image_url=url))
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image_url"


@pytest.mark.parametrize(
    ("durations", "n_frames", "sent"),
    [
        ([5, 5], "10", "10"),
        ([5, 5.5], "10", "n_frames"),
        ([3.3, 3.3, 3.4], "10", "10"),
        ([10, 10], "15", "n_frames"),
        ([15, 10.5], "25", "shots"),
        ([10, 10], "20", "25"),  # not an offered length: the smallest that holds the shots
    ],
)
def test_storyboard_shots_fit_the_chosen_length_which_is_never_raised(
    durations: list[float], n_frames: str, sent: str
) -> None:
    shots = [{"scene": "A shot", "duration": d} for d in durations]
    result = outcome({"model": STORYBOARD, "n_frames": n_frames, "shots": shots})
    if not sent.isdigit():
        assert isinstance(result, InvalidRequestError)
        assert result.field == sent
    else:
        assert isinstance(result, dict)
        assert result["nFrames"] == sent


# --- Bugs this file found, fixed since: kept as regression tests ---------------------------


def test_shots_a_fraction_of_a_millisecond_too_long_for_the_chosen_length_are_refused() -> None:
    shots = [{"scene": "A", "duration": 9.9004}, {"scene": "B", "duration": 0.1}]
    result = outcome({"model": STORYBOARD, "n_frames": "10", "shots": shots})
    assert isinstance(result, InvalidRequestError)
    assert "choose n_frames 15 or 25" in str(result)


def test_a_malformed_ipv6_image_url_is_refused_naming_image_url() -> None:
    result = outcome(image_widgets(image_url="http://[::1/a.png"))
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image_url"


def test_a_data_url_without_payload_is_refused_naming_image() -> None:
    result = outcome(image_widgets(image_data="data:image/png;base64,"))
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image"


def test_a_truncated_base64_payload_is_refused_naming_image() -> None:
    url = data_url("PNG")
    result = outcome(image_widgets(image_data=url[:-1]))
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image"


@pytest.mark.parametrize(
    ("model", "images"),
    [
        (IMAGE_IDS[0], {"image_data": "", "image_url": VALID_URLS[0]}),
        (TEXT_IDS[0], {"image_url": ""}),
        (TEXT_IDS[0], {"image_data": ""}),
    ],
    ids=["empty-data-beside-url", "empty-url-on-text-model", "empty-data-on-text-model"],
)
def test_an_empty_image_field_is_never_sent(model: str, images: dict[str, str]) -> None:
    payload = outcome(text_widgets(model=model, **images))
    assert isinstance(payload, dict)


@pytest.mark.parametrize("model", [TEXT_IDS[0], STORYBOARD])
def test_auto_aspect_ratio_on_a_node_without_auto_is_refused_at_queue_time(model: str) -> None:
    if model == STORYBOARD:
        widgets = {"model": model, "shots": [{"scene": "A", "duration": 5}]}
    else:
        widgets = text_widgets(model=model)
    widgets["aspect_ratio"] = "auto"
    check_queue_time_agrees(widgets, outcome(widgets))


def test_a_blank_image_url_counts_as_no_url() -> None:
    fields = image_widgets(image_url="   ")
    fields.pop("image_data", None)
    result = outcome(fields)
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image"
