"""What the creation nodes do, without ComfyUI: widget values -> planned requests, shot lists.

The nodes in `nodes/` only unwrap ComfyUI's inputs and hooks and call these functions, so the
whole path is tested without ComfyUI. Must not import comfy, torch or anything from `nodes/`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ..errors import InvalidRequestError
from ..media.encode import EncodedImage, batch_size, encode_image, orientation_of
from ..media.imaging import read_pixels
from ..schemas import (
    CreateVideoRequest,
    Shot,
    as_invalid_request,
    request_from_widgets,
    shots_total,
)
from ..schemas.lengths import either, lengths_holding
from ..schemas.models import (
    MAX_SHOTS,
    SEED_DEFAULT,
    AspectRatio,
    Size,
    VideoModel,
    batch_size_problem,
    render_frame,
    spec_of,
)
from ..schemas.shots import SHOT_LIST_FIELD, parse_shot_list, source_problem, storyboard_shots

AUTO = "auto"
# A stand-in for a linked (not yet known) input at queue time: valid for every rule.
PLACEHOLDER_DATA_URL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
    "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class PlannedTask:
    """One create request and, for image tasks, what was encoded for it."""

    request: CreateVideoRequest
    image: EncodedImage | None = None

    def describe(self) -> str:
        req = self.request
        parts = [req.model.value, req.aspect_ratio.value, f"{req.n_frames} s"]
        if req.size is not None:
            parts.append(req.size.value)
        if self.image is not None:
            parts.append(self.image.describe())
        # Shown wherever the plan is: a normalized clip length, a prompt that is not sent.
        return "; ".join([", ".join(parts), *req.notes()])


@dataclass(frozen=True)
class NodeTakes:
    """What one run of a creation node creates: its takes, their seed and the profile. The
    node plans it when it runs, and a queued prompt's early start from the same values, so
    both make the same takes (the same fingerprints: the node's claim reuses the early one)."""

    planned: list[PlannedTask]
    seed: int
    profile: str | None  # None: the default profile


def takes(planned: PlannedTask, batch_size: Any) -> list[PlannedTask]:
    """`batch_size` takes of one request: each its own task and ledger slot (its index)."""
    problem = batch_size_problem(batch_size)
    if problem:
        raise InvalidRequestError(problem, field="batch_size")
    return [planned] * int(batch_size)


def text_to_video_takes(
    seed: int = SEED_DEFAULT, profile: str = "", batch_size: int = 1, **widgets: Any
) -> NodeTakes:
    """Text to Video's takes from its inputs (its widget values, as the node receives them)."""
    planned = takes(PlannedTask(request_from_widgets(**widgets)), batch_size)
    return NodeTakes(planned, seed, profile.strip() or None)


def storyboard_takes(
    shots: list[dict[str, Any]] | None = None,
    shot_list: str = "",
    seed: int = SEED_DEFAULT,
    profile: str = "",
    batch_size: int = 1,
    **widgets: Any,
) -> NodeTakes:
    """Storyboard's takes from its inputs (`shots`: the linked Shot Builders' list)."""
    request = request_from_widgets(
        model=VideoModel.PRO_STORYBOARD.value,
        shots=storyboard_shots(shots, shot_list),
        **widgets,
    )
    return NodeTakes(takes(PlannedTask(request), batch_size), seed, profile.strip() or None)


def check_widgets(**widgets: Any) -> str | None:
    """Queue-time check: the first problem with these widget values, or None.

    Linked inputs arrive as None before the graph runs; a placeholder that satisfies every rule
    stands in for them, so only the values the user typed can fail here.
    """
    values = dict(widgets)
    if values.get("prompt") is None and "prompt" in values:
        values["prompt"] = "linked"
    linked_image = values.pop("image_linked", False)
    if linked_image and not values.get("image_url"):
        values["image_data"] = PLACEHOLDER_DATA_URL
    # Only the image node offers `auto`; it resolves to a valid ratio when the graph runs.
    if values.pop("allows_auto", False) and values.get("aspect_ratio") == AUTO:
        values["aspect_ratio"] = "landscape"
    if values.get("shots") is None and "shots" in values:
        values["shots"] = [{"scene": "linked", "duration": 1}]
    try:
        request_from_widgets(**values)
    except InvalidRequestError as exc:
        return str(exc)
    return None


def plan_image_tasks(image: Any, *, fit: str, **widgets: Any) -> list[PlannedTask]:
    """One task per image of the batch (or one from `image_url` when no image is given)."""
    if image is None:
        # An image at a URL is not seen here, so `auto` cannot follow it: landscape (the
        # service's own default), as the widget's tooltip says.
        if widgets.get("aspect_ratio") == AUTO:
            widgets["aspect_ratio"] = "landscape"
        return [PlannedTask(request_from_widgets(**widgets))]
    widgets.pop("image_url", None)  # the image wins over a URL; never send both
    chosen = chosen_aspect_ratio(image, widgets.pop("aspect_ratio", AUTO))
    # Validate the widgets before spending time on encoding.
    checked = request_from_widgets(**widgets, aspect_ratio=chosen, image_data=PLACEHOLDER_DATA_URL)
    # The frame the model renders: sending more pixels buys nothing but upload time.
    frame = render_frame(checked.model, checked.size, checked.aspect_ratio)
    planned = []
    for index in range(batch_size(image)):
        encoded = encode_image(image, index=index, fit=fit, aspect_ratio=chosen, frame=frame)
        request = request_from_widgets(**widgets, aspect_ratio=chosen, image_data=encoded.data_url)
        planned.append(PlannedTask(request, encoded))
    return planned


def encode_file_for(
    path: str | os.PathLike[str],
    *,
    model: str,
    size: str | None,
    aspect_ratio: str | None,
    fit: str,
) -> tuple[str, EncodedImage]:
    """An image file encoded at the frame `model` renders (the CLI's --image), as the node
    encodes its IMAGE: without an aspect ratio (the node's `auto`) the image's orientation is
    chosen, and `fit` shapes it to that frame. Returns the aspect ratio to send, and the image."""
    pixels = read_pixels(path)
    chosen = chosen_aspect_ratio(pixels, aspect_ratio)
    frame = render_frame(VideoModel(model), Size(size) if size else None, AspectRatio(chosen))
    return chosen, encode_image(pixels, fit=fit, aspect_ratio=chosen, frame=frame)


def chosen_aspect_ratio(image: Any, aspect_ratio: str | None) -> str:
    """The aspect ratio an image task is sent with: the one asked, or for `auto` (or none) the
    image's orientation. Frames of one IMAGE batch share a shape, so it holds for all."""
    return orientation_of(image) if aspect_ratio in (None, AUTO) else str(aspect_ratio)


def add_shot(
    shots: Sequence[dict[str, Any]] | None, scene: str, duration_s: float
) -> list[dict[str, Any]]:
    """The shot list with one more shot, checked by the same rules as the request."""
    current = list(shots or [])
    if len(current) >= MAX_SHOTS:
        raise InvalidRequestError(
            f"shots: a storyboard takes at most {MAX_SHOTS} shots; this would be shot "
            f"{len(current) + 1}",
            field="shots",
        )
    try:
        shot = Shot.model_validate({"scene": scene, "duration": duration_s})
    except ValidationError as exc:
        raise as_invalid_request(exc) from None
    return [*current, shot.model_dump(mode="json")]


def queued_shots(*, linked: bool, shot_list: str | None) -> list[dict[str, Any]] | None:
    """A storyboard's shots at queue time: its parsed `shot_list`, or None when they are
    known only when the graph runs (Shot Builders `linked` to `shots`, or a linked shot_list).
    Both sources, neither, or a bad line of shot_list is refused (`InvalidRequestError`)."""
    problem = source_problem(linked=linked, shot_list=shot_list)
    if problem:
        raise InvalidRequestError(problem, field=SHOT_LIST_FIELD)
    return None if linked or shot_list is None else parse_shot_list(shot_list)


SHOT_BUILDER = "FreeSoraShotBuilder"


def prompt_shots_total(prompt: Any, node_id: str) -> float | None:
    """The seconds of the shots linked into a storyboard node of an API-format prompt, from the
    Shot Builders' own `duration_s` widgets; None when a duration is linked (known only when
    the graph runs) or the chain is not Shot Builders all the way."""
    if not isinstance(prompt, dict):
        return None
    link = ((prompt.get(node_id) or {}).get("inputs") or {}).get("shots")
    total = 0.0
    for _ in range(MAX_SHOTS + 1):  # a longer (or circular) chain is refused when it runs
        if link is None:
            return total
        if not isinstance(link, list) or len(link) != 2:
            return None
        node = prompt.get(str(link[0]))
        if not isinstance(node, dict) or node.get("class_type") != SHOT_BUILDER:
            return None
        inputs = node.get("inputs") or {}
        duration = inputs.get("duration_s")
        if isinstance(duration, bool) or not isinstance(duration, int | float):
            return None
        try:
            total += float(duration)
        except OverflowError:  # a JSON integer no float holds: longer than any clip
            total = math.inf
        link = inputs.get("shots")
    return None


def length_problem(model: str, n_frames: Any, shots_total: float) -> str | None:
    """Whether `n_frames` holds shots of `shots_total` seconds (the queue-time check of a
    storyboard whose shots are linked), as the request's own rule says."""
    from ..schemas.lengths import normalize_n_frames

    try:
        normalize_n_frames(VideoModel(model), n_frames, at_least=shots_total)
    except InvalidRequestError as exc:
        return str(exc)
    return None


def describe_shots(shots: Sequence[dict[str, Any]]) -> str:
    """`3 shots, 14.5 s in all: fits n_frames 15 or 25`: what the Shot Builder shows."""
    total = shots_total([Shot.model_validate(s) for s in shots])
    storyboard = VideoModel.PRO_STORYBOARD
    fits = lengths_holding(storyboard, total)
    if fits:
        where = f"fits n_frames {either(fits)}"
    else:
        longest = spec_of(storyboard).frames[-1]
        where = f"too long for a storyboard ({longest} s at most)"
    count = len(shots)
    return f"{count} shot{'s' if count != 1 else ''}, {total:g} s in all: {where}"
