"""Every rule of the create request, valid and invalid, per model."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from freesora.errors import InvalidRequestError
from freesora.schemas import (
    MODEL_SPECS,
    ModelKind,
    VideoModel,
    build_create_request,
    models_of,
    normalize_n_frames,
    request_from_widgets,
)

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
DATA_URL = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
TEXT_MODELS = models_of(ModelKind.TEXT)
IMAGE_MODELS = models_of(ModelKind.IMAGE)
STORYBOARD = VideoModel.PRO_STORYBOARD
SHOTS = [{"scene": "A harbour at dawn", "duration": 5}, {"scene": "A gull lands", "duration": 5}]


def minimal(model: VideoModel, **extra: Any) -> dict[str, Any]:
    """The smallest valid input for `model`."""
    kind = MODEL_SPECS[model].kind
    fields: dict[str, Any] = {"model": model.value}
    if kind is not ModelKind.STORYBOARD:
        fields["prompt"] = "A paper boat on a rainy street"
    if kind is ModelKind.IMAGE:
        fields["image_data"] = DATA_URL
    if kind is ModelKind.STORYBOARD:
        fields["shots"] = SHOTS
    return {**fields, **extra}


def rejected(**fields: Any) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as info:
        build_create_request(**fields)
    return info.value


@pytest.mark.parametrize("model", list(VideoModel))
def test_every_model_accepts_its_minimal_request_with_defaults_filled(model: VideoModel) -> None:
    payload = build_create_request(**minimal(model)).to_payload()
    spec = MODEL_SPECS[model]
    assert payload["model"] == model.value
    assert payload["aspectRatio"] == "landscape"
    assert payload["nFrames"] == str(spec.frames_default)
    assert payload["isPublic"] is True
    assert ("size" in payload) == spec.takes_size
    assert payload.get("removeWatermark") == (True if spec.takes_remove_watermark else None)


def test_the_json_matches_the_services_own_pro_example_exactly() -> None:
    request = build_create_request(
        model="sora-2-pro-text-to-video",
        prompt="A cinematic shot of a futuristic city at sunset.",
        aspect_ratio="landscape",
        n_frames=10,
        size="high",
        remove_watermark=True,
        is_public=True,
    )
    assert request.to_payload() == {
        "model": "sora-2-pro-text-to-video",
        "prompt": "A cinematic shot of a futuristic city at sunset.",
        "aspectRatio": "landscape",
        "nFrames": "10",
        "size": "high",
        "removeWatermark": True,
        "isPublic": True,
    }


def test_the_storyboard_json_sends_shots_with_capital_scene_and_integer_seconds() -> None:
    payload = build_create_request(**minimal(STORYBOARD, n_frames=10)).to_payload()
    assert payload == {
        "model": "sora-2-pro-storyboard",
        "aspectRatio": "landscape",
        "nFrames": "10",
        "isPublic": True,
        "shots": [
            {"Scene": "A harbour at dawn", "duration": 5},
            {"Scene": "A gull lands", "duration": 5},
        ],
    }
    assert isinstance(payload["shots"][0]["duration"], int)


def test_fractional_shot_durations_stay_fractional() -> None:
    shots = [{"scene": "a", "duration": 2.5}, {"scene": "b", "duration": 7.5}]
    payload = build_create_request(**minimal(STORYBOARD, shots=shots)).to_payload()
    assert [shot["duration"] for shot in payload["shots"]] == [2.5, 7.5]


@pytest.mark.parametrize("model", TEXT_MODELS + IMAGE_MODELS)
@pytest.mark.parametrize("prompt", [None, "", "   \n"])
def test_a_prompt_is_required_for_text_and_image_models(model: VideoModel, prompt: Any) -> None:
    error = rejected(**minimal(model, prompt=prompt))
    assert error.field == "prompt"
    assert "required" in str(error)


def test_a_prompt_of_ten_thousand_characters_is_accepted_and_one_more_is_not() -> None:
    model = VideoModel.TEXT_TO_VIDEO
    assert build_create_request(**minimal(model, prompt="x" * 10_000)).prompt
    error = rejected(**minimal(model, prompt="x" * 10_001))
    assert error.field == "prompt"
    assert "10,000" in str(error)
    assert "10,001" in str(error)


def test_a_storyboard_accepts_a_prompt_never_sends_it_and_says_so() -> None:
    # The seed: optional for storyboard and simply not passed upstream.
    request = build_create_request(**minimal(STORYBOARD, prompt="a story"))
    assert "prompt" not in request.to_payload()
    assert any("prompt is not sent for sora-2-pro-storyboard" in n for n in request.notes())
    quiet = build_create_request(**minimal(STORYBOARD, prompt=""))
    assert "prompt" not in quiet.to_payload()
    assert not any("prompt" in note for note in quiet.notes())


@pytest.mark.parametrize("model", IMAGE_MODELS)
def test_image_models_need_an_image_or_an_image_url(model: VideoModel) -> None:
    fields = minimal(model)
    del fields["image_data"]
    error = rejected(**fields)
    assert error.field == "image"
    assert "image_url" in str(error)
    with_url = build_create_request(**fields, image_url="https://example.com/cat.png")
    assert with_url.to_payload()["imageUrl"] == "https://example.com/cat.png"


@pytest.mark.parametrize("model", IMAGE_MODELS)
def test_the_data_url_wins_and_both_image_fields_are_never_sent(model: VideoModel) -> None:
    payload = build_create_request(
        **minimal(model, image_url="https://example.com/cat.png")
    ).to_payload()
    assert payload["imageData"] == DATA_URL
    assert "imageUrl" not in payload


@pytest.mark.parametrize("model", [*TEXT_MODELS, STORYBOARD])
@pytest.mark.parametrize(
    ("field", "value"), [("image_data", DATA_URL), ("image_url", "https://example.com/a.png")]
)
def test_models_without_an_image_input_refuse_images(
    model: VideoModel, field: str, value: str
) -> None:
    error = rejected(**minimal(model, **{field: value}))
    assert error.field == ("image" if field == "image_data" else "image_url")


@pytest.mark.parametrize(
    ("data_url", "fragment"),
    [
        ("iVBORw0KGgo=", "data URL"),
        ("data:image/gif;base64,R0lGODlh", "JPEG, PNG or WEBP"),
        ("data:image/png;base64,@@@not-base64@@@", "invalid or truncated base64"),
        ("data:image/png;base64,aGVsbG8=", "not a image/png image"),
        ("data:image/webp;base64," + base64.b64encode(PNG_1PX).decode(), "holds a PNG image"),
        ("data:image/png," + "A" * 8, "data URL"),
    ],
)
def test_malformed_data_urls_are_refused_naming_the_image(data_url: str, fragment: str) -> None:
    error = rejected(**minimal(VideoModel.IMAGE_TO_VIDEO, image_data=data_url))
    assert error.field == "image"
    assert fragment in str(error)


def test_an_image_over_ten_megabytes_decoded_is_refused() -> None:
    payload = "A" * (((10 * 1024 * 1024) // 3 + 2) * 4)  # just over 10 MiB once decoded
    error = rejected(
        **minimal(VideoModel.IMAGE_TO_VIDEO, image_data="data:image/png;base64," + payload)
    )
    assert error.field == "image"
    assert "10 MB" in str(error)


@pytest.mark.parametrize("url", ["ftp://example.com/a.png", "example.com/a.png", "https://", ""])
def test_image_urls_must_be_http_or_https(url: str) -> None:
    fields = minimal(VideoModel.IMAGE_TO_VIDEO, image_url=url)
    del fields["image_data"]
    error = rejected(**fields)
    assert error.field == ("image" if url == "" else "image_url")


@pytest.mark.parametrize("ratio", ["square", "16:9", "Landscape "])
def test_aspect_ratio_must_be_landscape_or_portrait(ratio: str) -> None:
    error = rejected(**minimal(VideoModel.TEXT_TO_VIDEO, aspect_ratio=ratio))
    assert error.field == "aspect_ratio"
    assert "landscape" in str(error)
    assert "portrait" in str(error)
    assert repr(ratio) in str(error)


@pytest.mark.parametrize(
    ("model", "given", "sent"),
    [
        (VideoModel.TEXT_TO_VIDEO, 10, "10"),
        (VideoModel.TEXT_TO_VIDEO, "15", "15"),
        (VideoModel.TEXT_TO_VIDEO, 15.0, "15"),
        # Not offered: the smallest allowed length that is at least the value asked.
        (VideoModel.TEXT_TO_VIDEO, 11, "15"),
        (VideoModel.TEXT_TO_VIDEO, 12.5, "15"),
        (VideoModel.TEXT_TO_VIDEO, 10.01, "15"),
        (VideoModel.TEXT_TO_VIDEO, 1, "10"),
        (STORYBOARD, 25, "25"),
        (STORYBOARD, 16, "25"),
        (STORYBOARD, 11, "15"),
        (STORYBOARD, None, "15"),
        (VideoModel.PRO_IMAGE_TO_VIDEO, None, "10"),
    ],
)
def test_n_frames_is_normalized_per_model_and_sent_as_a_string(
    model: VideoModel, given: Any, sent: str
) -> None:
    assert normalize_n_frames(model, given) == sent
    request = build_create_request(**minimal(model, n_frames=given))
    assert request.to_payload()["nFrames"] == sent


def test_a_normalized_clip_length_is_shown() -> None:
    request = build_create_request(**minimal(VideoModel.TEXT_TO_VIDEO, n_frames=12))
    assert request.n_frames == "15"
    assert request.notes() == ["n_frames 12 -> 15 s (sora-2-text-to-video offers 10, 15 s)"]
    assert build_create_request(**minimal(VideoModel.TEXT_TO_VIDEO, n_frames=15)).notes() == []


@pytest.mark.parametrize(
    ("model", "given", "allowed"),
    [(VideoModel.TEXT_TO_VIDEO, 16, "10, 15"), (STORYBOARD, 26, "10, 15, 25")],
)
def test_a_clip_length_above_every_allowed_one_is_refused_naming_them(
    model: VideoModel, given: int, allowed: str
) -> None:
    error = rejected(**minimal(model, n_frames=given))
    assert error.field == "n_frames"
    assert allowed in str(error)
    assert str(given) in str(error)


@pytest.mark.parametrize("given", ["abc", 0, -10, float("nan"), True])
def test_n_frames_that_is_no_length_at_all_is_refused(given: Any) -> None:
    error = rejected(**minimal(VideoModel.TEXT_TO_VIDEO, n_frames=given))
    assert error.field == "n_frames"
    assert "10, 15" in str(error) or "clip length" in str(error)


@pytest.mark.parametrize("model", [VideoModel.PRO_TEXT_TO_VIDEO, VideoModel.PRO_IMAGE_TO_VIDEO])
def test_the_pro_size_defaults_to_standard_and_is_always_sent(model: VideoModel) -> None:
    # Upstream assumes high (about 2.2x the credits) for Pro text when size is absent.
    assert build_create_request(**minimal(model)).to_payload()["size"] == "standard"


@pytest.mark.parametrize("model", [m for m in VideoModel if not MODEL_SPECS[m].takes_size])
def test_size_is_refused_outside_the_two_pro_models(model: VideoModel) -> None:
    assert rejected(**minimal(model, size="high")).field == "size"


def test_size_must_be_standard_or_high() -> None:
    error = rejected(**minimal(VideoModel.PRO_TEXT_TO_VIDEO, size="4k"))
    assert error.field == "size"
    assert "standard" in str(error)


@pytest.mark.parametrize(
    "model", [m for m in VideoModel if not MODEL_SPECS[m].takes_remove_watermark]
)
def test_remove_watermark_is_refused_for_stable_and_storyboard_models(model: VideoModel) -> None:
    assert rejected(**minimal(model, remove_watermark=False)).field == "remove_watermark"


def test_remove_watermark_and_is_public_can_be_turned_off() -> None:
    payload = build_create_request(
        **minimal(VideoModel.TEXT_TO_VIDEO, remove_watermark=False, is_public=False)
    ).to_payload()
    assert payload["removeWatermark"] is False
    assert payload["isPublic"] is False


@pytest.mark.parametrize("model", TEXT_MODELS + IMAGE_MODELS)
def test_shots_are_only_for_the_storyboard(model: VideoModel) -> None:
    assert rejected(**minimal(model, shots=SHOTS)).field == "shots"


@pytest.mark.parametrize("count", [0, 11])
def test_the_storyboard_takes_one_to_ten_shots(count: int) -> None:
    shots = [{"scene": f"shot {i}", "duration": 1} for i in range(count)]
    error = rejected(**minimal(STORYBOARD, n_frames=25, shots=shots))
    assert error.field == "shots"
    assert f"got {count}" in str(error)


def test_ten_one_second_shots_are_accepted() -> None:
    shots = [{"scene": f"shot {i}", "duration": 1} for i in range(10)]
    assert len(build_create_request(**minimal(STORYBOARD, shots=shots)).shots or []) == 10


@pytest.mark.parametrize("duration", [0, 0.05, 15.01, -1, float("inf")])
def test_each_shot_lasts_a_tenth_of_a_second_to_fifteen_seconds(duration: float) -> None:
    shots = [{"scene": "ok", "duration": 1}, {"scene": "bad", "duration": duration}]
    error = rejected(**minimal(STORYBOARD, n_frames=25, shots=shots))
    assert error.field == "duration_s"
    assert str(error).startswith("shot 2: duration_s must be 0.1 to 15 seconds")


def test_a_blank_scene_is_refused_naming_the_shot() -> None:
    error = rejected(**minimal(STORYBOARD, shots=[{"scene": "  ", "duration": 5}]))
    assert error.field == "scene"
    assert str(error).startswith("shot 1: scene")


def test_a_length_not_offered_grows_to_the_smallest_that_holds_the_shots_shown() -> None:
    # 20 s of shots with n_frames 20 (not offered) grows to 25, never snaps down to 15.
    shots = [{"scene": "a", "duration": 10}, {"scene": "b", "duration": 10}]
    request = build_create_request(**minimal(STORYBOARD, n_frames=20, shots=shots))
    assert request.to_payload()["nFrames"] == "25"
    assert request.notes() == [
        "n_frames 20 -> 25 s (sora-2-pro-storyboard offers 10, 15, 25 s; the shots add up to 20 s)"
    ]


def test_shots_that_outgrow_the_default_length_are_refused_as_if_it_were_chosen() -> None:
    # The node's n_frames always holds a length (15 by default): no length asked reads the same.
    shots = [
        {"scene": "a", "duration": 5},
        {"scene": "b", "duration": 10},
        {"scene": "c", "duration": 8},
    ]
    error = rejected(**minimal(STORYBOARD, shots=shots))
    assert error.field == "n_frames"
    assert str(error).startswith("n_frames 15 s (the default) is shorter than the shots (23 s")
    assert "choose n_frames 25" in str(error)
    assert build_create_request(**minimal(STORYBOARD, shots=shots[:2])).n_frames == "15"


@pytest.mark.parametrize(
    ("n_frames", "durations", "holding"),
    [(15, (8, 8.5), "25"), ("10", (8, 6), "15 or 25"), (10, (9.9004, 0.1), "15 or 25")],
)
def test_an_offered_length_the_shots_outgrow_is_refused_naming_the_lengths_that_hold_them(
    n_frames: int | str, durations: tuple[float, ...], holding: str
) -> None:
    """A length the user chose is sent as chosen, or refused: raising it (10 -> 15 or 25) would
    make the price paid differ from the price shown for it."""
    shots = [{"scene": f"s{i}", "duration": d} for i, d in enumerate(durations)]
    error = rejected(**minimal(STORYBOARD, n_frames=n_frames, shots=shots))
    assert error.field == "n_frames"
    assert f"choose n_frames {holding}" in str(error)
    assert f"n_frames {n_frames} s is shorter than the shots" in str(error)


def test_shots_longer_than_the_longest_storyboard_are_refused_naming_both_numbers() -> None:
    shots = [{"scene": "a", "duration": 15}, {"scene": "b", "duration": 11.5}]
    error = rejected(**minimal(STORYBOARD, n_frames=25, shots=shots))
    assert error.field == "shots"
    assert "26.5 s" in str(error)
    assert "25 s" in str(error)


def test_shots_that_exactly_fill_the_clip_are_accepted() -> None:
    shots = [{"scene": "a", "duration": 7.5}, {"scene": "b", "duration": 7.5}]
    assert build_create_request(**minimal(STORYBOARD, n_frames=15, shots=shots))


def test_unknown_fields_are_refused_not_silently_dropped() -> None:
    error = rejected(**minimal(VideoModel.TEXT_TO_VIDEO, negative_prompt="blur"))
    assert error.field == "negative_prompt"
    assert "not a field" in str(error)


def test_an_unknown_model_is_refused_listing_the_models() -> None:
    error = rejected(model="sora-3", prompt="x")
    assert error.field == "model"
    assert "sora-2-pro-storyboard" in str(error)
    assert "'sora-3'" in str(error)


def test_widget_values_that_do_not_apply_to_the_model_are_dropped_not_refused() -> None:
    request = request_from_widgets(
        model="sora-2-text-to-video-stable",
        prompt="x",
        size="high",
        remove_watermark=True,
        aspect_ratio="portrait",
    )
    assert request.to_payload() == {
        "model": "sora-2-text-to-video-stable",
        "prompt": "x",
        "aspectRatio": "portrait",
        "nFrames": "10",
        "isPublic": True,
    }


def test_describe_shortens_the_image_for_display() -> None:
    described = build_create_request(**minimal(VideoModel.IMAGE_TO_VIDEO)).describe()
    assert described["imageData"].startswith("data:image/png;base64,")
    assert f"({len(PNG_1PX)} bytes)" in described["imageData"]


def test_a_queue_time_length_check_of_a_number_past_what_a_float_holds_is_an_answer() -> None:
    """An API-format prompt may carry any JSON number: the storyboard's queue-time check answers
    with the one-line rule, never an OverflowError."""
    from freesora.create.plan import length_problem

    problem = length_problem("sora-2-pro-storyboard", 10**400, 12.0)
    assert problem is not None
    assert "n_frames must be a clip length in seconds (10, 15, 25)" in problem


def test_linked_shots_past_what_a_float_holds_are_too_long_for_any_length() -> None:
    from freesora.create.plan import SHOT_BUILDER, length_problem, prompt_shots_total

    prompt = {
        "1": {"class_type": "FreeSoraStoryboard", "inputs": {"shots": ["2", 0]}},
        "2": {"class_type": SHOT_BUILDER, "inputs": {"duration_s": 10**400, "scene": "a"}},
    }
    total = prompt_shots_total(prompt, "1")
    assert total is not None
    problem = length_problem("sora-2-pro-storyboard", "25", total)
    assert problem is not None
    assert "more than the longest sora-2-pro-storyboard clip (25 s): shorten the shots" in problem
