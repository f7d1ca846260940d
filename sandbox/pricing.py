"""The sandbox's credit prices: one invented table, in one place.

The real prices are not published (API.md, "Unknowns"); these numbers only need to be stable and
to make Pro, longer and high-size tasks cost more, so tests of charging and refunds mean something.
"""

from __future__ import annotations

from typing import Any

from ..schemas.models import MODEL_SPECS, VideoModel
from .validation import SIZED_MODELS, default_n_frames

# Invented: 10 credits per 10 seconds of video, Pro models x2, size "high" x2.2 (rounded).
CREDITS_PER_10_S = 10
PRO_FACTOR = 2.0
HIGH_SIZE_FACTOR = 2.2


def credit_cost(body: dict[str, Any]) -> int:
    """Credits charged for a create body that `validate_create` accepted."""
    model = str(body["model"])
    seconds = int(body.get("nFrames", default_n_frames(model)))
    cost = CREDITS_PER_10_S * seconds / 10
    if model.startswith("sora-2-pro-"):
        cost *= PRO_FACTOR
    if model in SIZED_MODELS and body.get("size", _service_size_default(model)) == "high":
        cost *= HIGH_SIZE_FACTOR
    return round(cost)


def _service_size_default(model: str) -> str:
    """What the service assumes when `size` is absent (API.md: high for Pro text)."""
    size = MODEL_SPECS[VideoModel(model)].service_size_default
    return size.value if size is not None else "standard"
