"""The creation nodes' logic without ComfyUI: widgets -> requests, batches -> tasks, shots."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from freesora.create.plan import add_shot, check_widgets, describe_shots, plan_image_tasks
from freesora.errors import InvalidImageError, InvalidRequestError
from freesora.media.encode import decode_data_url

TEXT_WIDGETS: dict[str, Any] = {
    "model": "sora-2-text-to-video",
    "prompt": "A paper boat",
    "aspect_ratio": "landscape",
    "n_frames": "10",
    "size": "standard",
    "remove_watermark": True,
    "is_public": True,
}
IMAGE_WIDGETS: dict[str, Any] = {**TEXT_WIDGETS, "model": "sora-2-pro-image-to-video"}


def frames(*colours: tuple[float, float, float], height: int = 90, width: int = 160) -> Any:
    """An IMAGE batch, one flat colour per frame."""
    return np.stack([np.broadcast_to(np.array(c, np.float32), (height, width, 3)) for c in colours])


def test_valid_text_widgets_pass_the_queue_time_check() -> None:
    assert check_widgets(**TEXT_WIDGETS) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"model": "sora-9"}, "model"),
        ({"aspect_ratio": "square"}, "aspect_ratio"),
        ({"n_frames": "eleventy"}, "n_frames"),
        ({"size": "huge", "model": "sora-2-pro-text-to-video"}, "size"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 10_001}, "prompt"),
    ],
)
def test_bad_widget_values_are_refused_at_queue_time_naming_the_widget(
    change: dict[str, Any], field: str
) -> None:
    problem = check_widgets(**{**TEXT_WIDGETS, **change})
    assert problem is not None
    assert problem.startswith(field)


def test_a_linked_prompt_is_not_refused_before_it_is_known() -> None:
    assert check_widgets(**{**TEXT_WIDGETS, "prompt": None}) is None


def test_a_combo_value_for_another_model_is_dropped_not_refused() -> None:
    stable = {**TEXT_WIDGETS, "model": "sora-2-text-to-video-stable", "size": "high"}
    assert check_widgets(**stable) is None


def test_an_image_model_without_image_or_url_is_refused_at_queue_time() -> None:
    problem = check_widgets(**IMAGE_WIDGETS)
    assert problem is not None
    assert problem.startswith("image")
    assert check_widgets(**IMAGE_WIDGETS, image_linked=True) is None
    assert check_widgets(**IMAGE_WIDGETS, image_url="https://example.com/a.png") is None
    assert check_widgets(**IMAGE_WIDGETS, image_url="not a url") is not None


def test_a_batch_of_images_becomes_one_task_per_image_in_batch_order() -> None:
    batch = frames((1, 0, 0), (0, 1, 0), (0, 0, 1))
    planned = plan_image_tasks(batch, fit="none", aspect_ratio="auto", **IMAGE_WIDGETS_NO_RATIO)
    assert len(planned) == 3
    centres = []
    for task in planned:
        assert task.request.image_data is not None
        _mime, data = decode_data_url(task.request.image_data)
        pixel = Image.open(io.BytesIO(data)).convert("RGB").getpixel((80, 45))
        centres.append(int(np.argmax(pixel)))
    assert centres == [0, 1, 2]


IMAGE_WIDGETS_NO_RATIO = {k: v for k, v in IMAGE_WIDGETS.items() if k != "aspect_ratio"}


@pytest.mark.parametrize(
    ("height", "width", "ratio"), [(90, 160, "landscape"), (160, 90, "portrait")]
)
def test_auto_aspect_ratio_follows_the_images_orientation(
    height: int, width: int, ratio: str
) -> None:
    batch = frames((0.5, 0.5, 0.5), height=height, width=width)
    [task] = plan_image_tasks(batch, fit="crop", aspect_ratio="auto", **IMAGE_WIDGETS_NO_RATIO)
    assert task.request.aspect_ratio.value == ratio
    assert task.image is not None
    assert (task.image.width > task.image.height) == (ratio == "landscape")


def test_a_connected_image_wins_over_an_image_url() -> None:
    [task] = plan_image_tasks(
        frames((0.2, 0.4, 0.6)),
        fit="none",
        aspect_ratio="landscape",
        image_url="https://example.com/a.png",
        **IMAGE_WIDGETS_NO_RATIO,
    )
    payload = task.request.to_payload()
    assert "imageData" in payload
    assert "imageUrl" not in payload


def test_without_an_image_the_url_is_sent() -> None:
    [task] = plan_image_tasks(
        None, fit="crop", image_url="https://example.com/a.png", **IMAGE_WIDGETS
    )
    assert task.request.to_payload()["imageUrl"] == "https://example.com/a.png"


def test_bad_widgets_are_refused_before_any_image_is_encoded() -> None:
    with pytest.raises(InvalidRequestError) as info:
        plan_image_tasks(
            frames((1, 1, 1)),
            fit="crop",
            aspect_ratio="landscape",
            **{**IMAGE_WIDGETS_NO_RATIO, "prompt": ""},
        )
    assert info.value.field == "prompt"


def test_an_image_with_nan_values_is_refused_naming_the_image() -> None:
    batch = frames((1, 1, 1))
    batch[0, 0, 0, 0] = np.nan
    with pytest.raises(InvalidImageError) as info:
        plan_image_tasks(batch, fit="crop", aspect_ratio="landscape", **IMAGE_WIDGETS_NO_RATIO)
    assert info.value.field == "image"


def test_shots_chain_in_order_and_whole_seconds_stay_integers() -> None:
    shots = add_shot(None, "A harbour at dawn", 5.0)
    shots = add_shot(shots, "A gull lands", 4.5)
    assert shots == [
        {"scene": "A harbour at dawn", "duration": 5},
        {"scene": "A gull lands", "duration": 4.5},
    ]
    assert describe_shots(shots) == "2 shots, 9.5 s in all: fits n_frames 10, 15 or 25"


def test_a_shot_builder_refuses_an_empty_scene_and_an_eleventh_shot() -> None:
    with pytest.raises(InvalidRequestError, match="scene"):
        add_shot(None, "  ", 5)
    ten = [{"scene": str(i), "duration": 1} for i in range(10)]
    with pytest.raises(InvalidRequestError, match="at most 10 shots"):
        add_shot(ten, "one more", 1)


@pytest.mark.parametrize("duration", [0, 15.5, float("nan")])
def test_a_shot_builder_refuses_durations_outside_the_range(duration: float) -> None:
    with pytest.raises(InvalidRequestError, match="duration_s"):
        add_shot(None, "scene", duration)


def test_the_shot_summary_says_when_the_shots_are_too_long() -> None:
    shots = [{"scene": str(i), "duration": 13} for i in range(2)]
    assert describe_shots(shots) == "2 shots, 26 s in all: too long for a storyboard (25 s at most)"


def test_auto_with_an_image_url_means_landscape() -> None:
    [task] = plan_image_tasks(
        None,
        fit="crop",
        image_url="https://example.com/a.png",
        **{**IMAGE_WIDGETS, "aspect_ratio": "auto"},
    )
    assert task.request.to_payload()["aspectRatio"] == "landscape"


@pytest.mark.parametrize(
    ("model", "size", "ratio", "sent"),
    [
        ("sora-2-image-to-video", "high", "landscape", (1280, 720)),
        ("sora-2-pro-image-to-video", "standard", "landscape", (1280, 720)),
        ("sora-2-pro-image-to-video", "high", "landscape", (1792, 1024)),
        ("sora-2-pro-image-to-video", "high", "portrait", (1024, 1792)),
    ],
)
def test_an_image_is_sent_at_the_frame_its_model_and_size_render(
    model: str, size: str, ratio: str, sent: tuple[int, int]
) -> None:
    big = frames((0.3, 0.5, 0.7), height=2400, width=2400)
    widgets = {**IMAGE_WIDGETS, "model": model, "size": size, "aspect_ratio": ratio}
    [task] = plan_image_tasks(big, fit="crop", **widgets)
    assert task.image is not None
    assert (task.image.width, task.image.height) == sent
    _mime, data = decode_data_url(task.request.image_data or "")
    assert Image.open(io.BytesIO(data)).size == sent
    assert f"scaled down from {task.image.scaled_from[0]}x" in task.describe()  # type: ignore[index]
