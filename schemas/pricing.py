"""The credit price table: one estimate per model, clip length and size, in one place.

The service does not publish its prices (API.md, "Unknowns"): these numbers are the pack's
estimate, labelled as such wherever they are shown (node badges, `GET /freesora/prices`, the
README). The sandbox charges from this same table, so what a badge says is what the sandbox takes.
The real price is the one the service's account/pricing page shows. May import `schemas.models`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import MODEL_SPECS, Size, VideoModel

PRICES_SOURCE = (
    "FreeSora nodes' own estimate: the service does not publish per-task prices; the real "
    "price is shown on your account's pricing page at freesoragenerator.com"
)
PRICES_AS_OF = "2026-12-01"

# Credits per second of video at size "standard"; "high" (about 1080p) costs about 2.2x.
CREDITS_PER_SECOND: dict[VideoModel, float] = {
    VideoModel.TEXT_TO_VIDEO: 3,
    VideoModel.IMAGE_TO_VIDEO: 3,
    VideoModel.TEXT_TO_VIDEO_STABLE: 5,
    VideoModel.IMAGE_TO_VIDEO_STABLE: 5,
    VideoModel.PRO_TEXT_TO_VIDEO: 15,
    VideoModel.PRO_IMAGE_TO_VIDEO: 15,
    VideoModel.PRO_STORYBOARD: 15,
}
HIGH_SIZE_FACTOR = 2.2


def estimate_credits(model: VideoModel, seconds: int, size: Size | None = None) -> int:
    """Estimated credits of one task; `size` counts only for the models that take one."""
    cost = CREDITS_PER_SECOND[model] * seconds
    if MODEL_SPECS[model].takes_size and size is Size.HIGH:
        cost *= HIGH_SIZE_FACTOR
    return round(cost)


def estimate_body(body: Mapping[str, Any]) -> int:
    """Estimated credits of a create body as the service reads it (its defaults for absent
    fields: the model's clip length, and its own `size` default, high for Pro text)."""
    model = VideoModel(str(body["model"]))
    spec = MODEL_SPECS[model]
    seconds = int(body.get("nFrames", spec.frames_default))
    size = Size(str(body["size"])) if "size" in body else spec.service_size_default
    return estimate_credits(model, seconds, size)


def price_sheet() -> dict[str, Any]:
    """The whole table as JSON for the frontend: every model x clip length x size it accepts."""
    models = {}
    for model, spec in MODEL_SPECS.items():
        sizes = list(Size) if spec.takes_size else [Size.STANDARD]
        models[model.value] = {
            "takes_size": spec.takes_size,
            "credits": {
                str(seconds): {size.value: estimate_credits(model, seconds, size) for size in sizes}
                for seconds in spec.frames
            },
        }
    return {
        "estimate": True,
        "unit": "credits",
        "source": PRICES_SOURCE,
        "as_of": PRICES_AS_OF,
        "models": models,
    }
