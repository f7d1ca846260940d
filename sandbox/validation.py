"""The sandbox's own rules for a create body, written straight from API.md.

Deliberately independent of the pack's request model: property tests compare the two, so
sharing code would make that comparison vacuous. Only the service's defaults for absent fields
come from the one table in `schemas/models.py`. Stricter than the real service where API.md says it
normalizes (e.g. `nFrames`): the sandbox exists to catch a pack that relies on normalization.
Pure: no I/O, no aiohttp.
"""

from __future__ import annotations

import math
from typing import Any

from ..schemas.models import MODEL_SPECS, VideoModel
from .images import check_image_data, check_image_url

STORYBOARD = "sora-2-pro-storyboard"
TEXT_MODELS = frozenset(
    {"sora-2-text-to-video", "sora-2-text-to-video-stable", "sora-2-pro-text-to-video"}
)
IMAGE_MODELS = frozenset(
    {"sora-2-image-to-video", "sora-2-image-to-video-stable", "sora-2-pro-image-to-video"}
)
MODELS = TEXT_MODELS | IMAGE_MODELS | {STORYBOARD}
SIZED_MODELS = frozenset({"sora-2-pro-text-to-video", "sora-2-pro-image-to-video"})
WATERMARK_MODELS = frozenset({"sora-2-text-to-video", "sora-2-image-to-video"}) | SIZED_MODELS

FIELDS = (
    "model",
    "prompt",
    "imageData",
    "imageUrl",
    "aspectRatio",
    "nFrames",
    "size",
    "removeWatermark",
    "isPublic",
    "shots",
)
MAX_PROMPT_CHARS = 10_000
ASPECT_RATIOS = ("portrait", "landscape")
SIZES = ("standard", "high")
N_FRAMES = ("10", "15")
STORYBOARD_N_FRAMES = ("10", "15", "25")
MAX_SHOTS = 10
MIN_SHOT_S = 0.1
MAX_SHOT_S = 15.0


def default_n_frames(model: str) -> str:
    """The upstream default clip length for a model when `nFrames` is absent (one table)."""
    return str(MODEL_SPECS[VideoModel(model)].frames_default)


def validate_create(body: Any) -> list[str]:
    """Every problem with a create body, each starting with the field it names; [] means valid."""
    if not isinstance(body, dict):
        return [f"body: must be a JSON object, got {type(body).__name__}"]
    problems = [
        f"{name}: unknown field; allowed fields are {', '.join(FIELDS)}"
        for name in body
        if name not in FIELDS
    ]
    problems += _check_enum(body, "aspectRatio", ASPECT_RATIOS)
    problems += _check_bool(body, "isPublic")
    model = body.get("model")
    if "model" not in body:
        problems.append(f"model: required; must be one of {', '.join(sorted(MODELS))}")
    elif model not in MODELS:
        problems.append(f"model: must be one of {', '.join(sorted(MODELS))}, got {model!r}")
    else:
        problems += _check_for_model(body, str(model))
    return problems


def _check_for_model(body: dict[str, Any], model: str) -> list[str]:
    allowed_frames = STORYBOARD_N_FRAMES if model == STORYBOARD else N_FRAMES
    problems = _check_prompt(body, model)
    problems += _check_images(body, model)
    problems += _check_n_frames(body, allowed_frames)
    if "size" in body:
        if model in SIZED_MODELS:
            problems += _check_enum(body, "size", SIZES)
        else:
            problems.append(
                f"size: not accepted for {model}; only for {', '.join(sorted(SIZED_MODELS))}"
            )
    if "removeWatermark" in body:
        if model in WATERMARK_MODELS:
            problems += _check_bool(body, "removeWatermark")
        else:
            problems.append(f"removeWatermark: not accepted for {model} (stable or storyboard)")
    if model == STORYBOARD:
        problems += _check_shots(body)
    elif "shots" in body:
        problems.append(f"shots: not accepted for {model}; only for {STORYBOARD}")
    return problems


def _check_prompt(body: dict[str, Any], model: str) -> list[str]:
    if model == STORYBOARD:
        if "prompt" in body:
            # The service drops it silently; a pack that sends it believes it matters, so refuse.
            return [f"prompt: must be absent for {STORYBOARD}; describe each shot in shots"]
        return []
    prompt = body.get("prompt")
    if "prompt" not in body:
        return [f"prompt: required for {model}"]
    if not isinstance(prompt, str):
        return [f"prompt: must be a string, got {type(prompt).__name__}"]
    if not prompt.strip():
        return ["prompt: must not be blank"]
    if len(prompt) > MAX_PROMPT_CHARS:
        return [f"prompt: must be at most {MAX_PROMPT_CHARS} characters, got {len(prompt)}"]
    return []


def _check_images(body: dict[str, Any], model: str) -> list[str]:
    present = [name for name in ("imageData", "imageUrl") if name in body]
    if model not in IMAGE_MODELS:
        return [
            f"{name}: not accepted for {model}; only for image-to-video models" for name in present
        ]
    if not present:
        return [f"imageData: required for {model} (or imageUrl)"]
    if len(present) == 2:
        # The service silently prefers imageData; sending both means the pack lost track of which.
        return ["imageData, imageUrl: send exactly one image field, got both"]
    if present == ["imageData"]:
        return check_image_data(body["imageData"])
    return check_image_url(body["imageUrl"])


def _check_n_frames(body: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    if "nFrames" not in body:
        return []
    value = body["nFrames"]
    if not isinstance(value, str):
        return [
            f"nFrames: must be a string, one of {', '.join(allowed)}, "
            f"got {type(value).__name__} {value!r}"
        ]
    if value not in allowed:
        return [f"nFrames: must be one of {', '.join(allowed)}, got {value!r}"]
    return []


def _check_shots(body: dict[str, Any]) -> list[str]:
    shots = body.get("shots")
    if "shots" not in body:
        return [f"shots: required for {STORYBOARD}"]
    if not isinstance(shots, list):
        return [f"shots: must be a list, got {type(shots).__name__}"]
    if not 1 <= len(shots) <= MAX_SHOTS:
        return [f"shots: must hold 1 to {MAX_SHOTS} shots, got {len(shots)}"]
    problems: list[str] = []
    for index, shot in enumerate(shots):
        problems += _check_shot(index, shot)
    n_frames = body.get("nFrames", default_n_frames(STORYBOARD))
    if problems or n_frames not in STORYBOARD_N_FRAMES:
        return problems
    total = math.fsum(float(shot["duration"]) for shot in shots)
    # A small tolerance: durations like 3.3 + 3.3 + 3.4 must not fail on binary rounding.
    if total > int(n_frames) + 1e-9:
        problems.append(
            f"shots: total duration must be at most nFrames={n_frames} s, got {total:g}"
        )
    return problems


def _check_shot(index: int, shot: object) -> list[str]:
    where = f"shots[{index}]"
    if not isinstance(shot, dict):
        return [f"{where}: must be an object {{Scene, duration}}, got {type(shot).__name__}"]
    problems = [
        f"{where}.{key}: unknown field; a shot has exactly Scene and duration"
        for key in shot
        if key not in ("Scene", "duration")
    ]
    scene = shot.get("Scene")
    if not isinstance(scene, str) or not scene.strip():
        problems.append(f"{where}.Scene: required non-blank string (capital S), got {scene!r}")
    duration = shot.get("duration")
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        problems.append(f"{where}.duration: must be a number of seconds, got {duration!r}")
    elif not (math.isfinite(duration) and MIN_SHOT_S <= duration <= MAX_SHOT_S):
        problems.append(
            f"{where}.duration: must be between {MIN_SHOT_S} and {MAX_SHOT_S:g} s, got {duration}"
        )
    return problems


def _check_enum(body: dict[str, Any], name: str, allowed: tuple[str, ...]) -> list[str]:
    if name in body and body[name] not in allowed:
        return [f"{name}: must be one of {', '.join(allowed)}, got {body[name]!r}"]
    return []


def _check_bool(body: dict[str, Any], name: str) -> list[str]:
    if name in body and not isinstance(body[name], bool):
        return [f"{name}: must be a boolean, got {type(body[name]).__name__} {body[name]!r}"]
    return []
