"""Every input a creation node can receive becomes a request the service takes, or a refusal.

The oracle is the sandbox's `validate_create`, written from API.md independently of `schemas/`.
The nodes cannot be imported without ComfyUI, so their input spaces are restated (in
widget_strategies.py) from `schemas/models.py`, widened with garbage; the oracle is in
widget_oracle.py. Fixed boundary and regression examples: test_widget_boundaries.py.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from widget_oracle import check_echoed, check_queue_time_agrees, label, outcome
from widget_strategies import (
    IMAGE_IDS,
    STORYBOARD,
    TEXT_IDS,
    aspect_ratios,
    durations,
    extra_keys,
    flags,
    image_datas,
    image_urls,
    model_ids,
    n_frames_values,
    prompts,
    scenes,
    short_shots_lists,
    shots_lists,
    sizes,
)

from freesora.create.plan import add_shot, describe_shots
from freesora.errors import InvalidRequestError
from freesora.schemas.models import MAX_SHOTS

# 4 properties x 300 examples = 1,200 in CI; deterministic and without a local example database.
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_widgets_property(widgets: dict[str, Any]) -> Any:
    """The property every node's inputs share: an accepted request or a named refusal."""
    result = outcome(widgets)
    event(label(result))
    check_queue_time_agrees(widgets, result)
    if isinstance(result, dict):
        check_echoed(widgets, result)
    return result


@PROPERTY
@given(
    model=model_ids(TEXT_IDS),
    prompt=prompts,
    aspect_ratio=aspect_ratios,
    n_frames=n_frames_values(["10", "15"]),
    size=sizes,
    remove_watermark=flags,
    is_public=flags,
    extra=extra_keys,
)
def test_text_to_video_inputs_become_an_accepted_request_or_a_named_refusal(
    extra: dict[str, Any], **widgets: Any
) -> None:
    check_widgets_property({**widgets, **extra})


@PROPERTY
@given(
    model=model_ids(IMAGE_IDS),
    prompt=prompts,
    image_data=image_datas,
    image_url=image_urls,
    aspect_ratio=aspect_ratios,
    n_frames=n_frames_values(["10", "15"]),
    size=sizes,
    remove_watermark=flags,
    is_public=flags,
    extra=extra_keys,
)
def test_image_to_video_inputs_become_an_accepted_request_or_a_named_refusal(
    extra: dict[str, Any], **widgets: Any
) -> None:
    result = check_widgets_property({**widgets, **extra})
    if isinstance(result, dict) and widgets["image_data"] and "image-to-video" in result["model"]:
        assert result.get("imageData") == widgets["image_data"], "the data URL must win"


@PROPERTY
@given(
    shots=st.one_of(shots_lists, short_shots_lists),
    aspect_ratio=aspect_ratios,
    n_frames=n_frames_values(["10", "15", "25"]),
    is_public=flags,
    extra=extra_keys,
)
def test_storyboard_inputs_become_an_accepted_request_or_a_named_refusal(
    extra: dict[str, Any], **widgets: Any
) -> None:
    widgets = {"model": STORYBOARD, **widgets, **extra}
    result = outcome(widgets)
    event(label(result))
    check_queue_time_agrees(widgets, result)
    if isinstance(result, dict):
        check_echoed(widgets, result)
        sent = [(shot["Scene"], shot["duration"]) for shot in result["shots"]]
        given_ = [(shot["scene"].strip(), shot["duration"]) for shot in widgets["shots"]]
        assert sent == given_


@PROPERTY
@given(
    before=st.integers(0, 12),
    scene=st.one_of(scenes, st.sampled_from(["x" * 10_001])),
    duration_s=st.one_of(durations, st.sampled_from([None, "5", "five", True])),
)
def test_shot_builder_adds_a_shot_the_storyboard_accepts_or_names_the_problem(
    before: int, scene: str, duration_s: Any
) -> None:
    earlier = [{"scene": "An earlier shot", "duration": 1}] * before
    try:
        shots = add_shot(earlier, scene, duration_s)
    except InvalidRequestError as exc:
        refusal: InvalidRequestError | None = exc
    else:
        refusal = None
    event(label(refusal) if refusal is not None else "shot added")
    if refusal is not None:
        assert refusal.field in ("scene", "duration_s", "shots"), repr(refusal)
        assert refusal.field in str(refusal)
        assert (refusal.field == "shots") is (before >= MAX_SHOTS)
        return
    assert before < MAX_SHOTS
    assert shots[:-1] == earlier
    assert shots[-1]["scene"] == scene.strip()
    assert describe_shots(shots)
    payload = outcome({"model": STORYBOARD, "n_frames": "15", "shots": shots[-1:]})
    assert isinstance(payload, dict), f"a built shot must fit a 15 s storyboard: {payload}"
