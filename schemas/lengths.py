"""Clip lengths: what a model offers, and the length sent for the one asked (the seed's rule).

A length the model does not offer becomes the smallest offered length at least as long as the
value asked (and, for a storyboard, as its shots); above every offered length it is refused.
"""

from __future__ import annotations

import math

from ..errors import InvalidRequestError
from .models import VideoModel, spec_of

_fail = InvalidRequestError.about


def normalize_n_frames(
    model: VideoModel, value: int | float | str | None, *, at_least: float = 0.0
) -> str:
    """The clip length that will be sent for `value`, as the string the service expects.

    A length the model does not offer becomes the smallest allowed length that is at least the
    value asked (and at least `at_least`: a storyboard's shots must fit). A length above every
    allowed one is refused, naming them: the pack never shortens a clip the user asked for.
    """
    spec = spec_of(model)
    allowed = ", ".join(map(str, spec.frames))
    if value is None or (isinstance(value, str) and not value.strip()):
        seconds = float(spec.frames_default)
    else:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = math.nan
        if not math.isfinite(seconds) or seconds <= 0:
            raise _fail("n_frames", f"must be a clip length in seconds ({allowed}), got {value!r}")
    wanted = max(seconds, at_least)
    fitting = [length for length in spec.frames if length >= wanted - 1e-9]
    if not fitting:
        if at_least > seconds:
            raise _fail(
                "shots",
                f"add up to {at_least:g} s, more than the longest {model.value} clip "
                f"({spec.frames[-1]} s): shorten the shots",
            )
        raise _fail(
            "n_frames",
            f"must be at most {spec.frames[-1]} s for {model.value} ({allowed}), got {value!r}",
        )
    return str(fitting[0])
