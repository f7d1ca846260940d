"""The sandbox's credit prices: one invented table, in one place.

The real prices are not published (API.md, "Unknowns"); these numbers only need to be stable and
to make Pro, longer and high-size tasks cost more, so tests of charging and refunds mean something.
"""

from __future__ import annotations

from typing import Any

from .validation import SIZED_MODELS, default_n_frames

# Invented: 10 credits per 10 seconds of video, Pro models x2, size "high" x2.2 (rounded).
CREDITS_PER_10_S = 10
PRO_FACTOR = 2.0
HIGH_SIZE_FACTOR = 2.2
# Upstream defaults when `size` is absent (API.md): high for Pro text, standard for Pro image.
DEFAULT_SIZES = {"sora-2-pro-text-to-video": "high", "sora-2-pro-image-to-video": "standard"}


def credit_cost(body: dict[str, Any]) -> int:
    """Credits charged for a create body that `validate_create` accepted."""
    model = str(body["model"])
    seconds = int(body.get("nFrames", default_n_frames(model)))
    cost = CREDITS_PER_10_S * seconds / 10
    if model.startswith("sora-2-pro-"):
        cost *= PRO_FACTOR
    if model in SIZED_MODELS and body.get("size", DEFAULT_SIZES[model]) == "high":
        cost *= HIGH_SIZE_FACTOR
    return round(cost)
