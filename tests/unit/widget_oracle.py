"""The oracle for widget values: build the request, check it with the sandbox, or check the refusal.

The sandbox's `validate_create` is written from API.md independently of `schemas/`. Used by
test_properties.py and test_widget_boundaries.py.
"""

from __future__ import annotations

import json
from typing import Any

from widget_strategies import SIZED, STORYBOARD

from freesora.create.plan import check_widgets
from freesora.errors import InvalidRequestError
from freesora.sandbox.validation import validate_create
from freesora.schemas import request_from_widgets


def applicable_fields(payload: dict[str, Any]) -> set[str]:
    """What API.md says a body for this model carries (the pack fills in every default)."""
    model = payload["model"]
    fields = {"model", "aspectRatio", "nFrames", "isPublic"}
    if model == STORYBOARD:
        return fields | {"shots"}
    fields.add("prompt")
    if model in SIZED:
        fields.add("size")
    if "stable" not in model:
        fields.add("removeWatermark")
    if "image-to-video" in model:
        fields.add("imageData" if "imageData" in payload else "imageUrl")
    return fields


def outcome(widgets: dict[str, Any]) -> dict[str, Any] | InvalidRequestError:
    """The payload `request_from_widgets` makes, checked by the sandbox, or its refusal."""
    try:
        request = request_from_widgets(**dict(widgets))
    except InvalidRequestError as exc:
        refusal = exc
    else:
        refusal = None
    if refusal is not None:
        assert refusal.field, f"a refusal must name its field: {refusal!r}"
        assert refusal.field in str(refusal), f"the message must name {refusal.field!r}"
        return refusal
    payload = request.to_payload()
    json.dumps(payload, allow_nan=False)
    assert validate_create(payload) == [], payload
    assert isinstance(payload["nFrames"], str)
    assert set(payload) == applicable_fields(payload), payload
    return payload


def check_queue_time_agrees(widgets: dict[str, Any], result: object) -> None:
    """`check_widgets` (queue time) says yes exactly when the request can be built (run time)."""
    problem = check_widgets(**widgets)
    if isinstance(result, InvalidRequestError):
        assert problem == str(result)
    else:
        assert problem is None


def label(result: object) -> str:
    return f"refused: {result.field}" if isinstance(result, InvalidRequestError) else "request"


def check_echoed(widgets: dict[str, Any], payload: dict[str, Any]) -> None:
    """The values the user chose are the values sent (nFrames only when already allowed)."""
    model = payload["model"]
    assert payload["aspectRatio"] == widgets["aspect_ratio"]
    if isinstance(widgets["is_public"], bool):
        assert payload["isPublic"] is widgets["is_public"]
    if model != STORYBOARD:
        assert payload["prompt"] == widgets["prompt"]
    if model in SIZED and widgets["size"] in ("standard", "high"):
        assert payload["size"] == widgets["size"]
    if "removeWatermark" in payload and isinstance(widgets["remove_watermark"], bool):
        assert payload["removeWatermark"] is widgets["remove_watermark"]
    # The seed's rule, restated: an offered length chosen is sent as chosen (its price shown);
    # otherwise the smallest allowed length at least the value asked and, for a storyboard, at
    # least the shots' total.
    frames = widgets["n_frames"]
    allowed = (10, 15, 25) if model == STORYBOARD else (10, 15)
    asked = (15 if model == STORYBOARD else 10) if frames is None or frames == "" else frames
    if frames not in (None, "") and float(asked) in allowed:
        assert payload["nFrames"] == str(int(float(asked)))
        return
    floor = max(float(asked), sum(shot["duration"] for shot in payload.get("shots", [])))
    assert payload["nFrames"] == str(min(n for n in allowed if n >= floor - 1e-9))
