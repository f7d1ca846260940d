"""Clip lengths: what a model offers, and the length sent for the one asked (the seed's rule).

A length the model does not offer becomes the smallest offered length at least as long as the
value asked (and, for a storyboard, as its shots); above every offered length it is refused.
An offered length is sent as it is, never raised, whether the user chose it or left the default
(the node's widget always holds one, so the command line must read an absent length the same
way): a storyboard whose shots outgrow it is refused naming the lengths that hold them (a
longer clip costs more, and the price the user saw was that length's).
"""

from __future__ import annotations

import math

from ..errors import InvalidRequestError, shown_value
from .models import VideoModel, spec_of

_fail = InvalidRequestError.about


def normalize_n_frames(
    model: VideoModel, value: int | float | str | None, *, at_least: float = 0.0
) -> str:
    """The clip length that will be sent for `value`, as the string the service expects.

    A length the model does not offer becomes the smallest allowed length that is at least the
    value asked (and at least `at_least`: a storyboard's shots must fit). An offered length, the
    default included (no value), is never raised: shots longer than it are refused, naming the
    lengths that hold them. A length above every allowed one is refused, naming them: the pack
    never shortens a clip the user asked for.
    """
    spec = spec_of(model)
    allowed = ", ".join(map(str, spec.frames))
    default = False
    if value is None or (isinstance(value, str) and not value.strip()):
        default, seconds = True, float(spec.frames_default)
    else:
        try:
            seconds = float(value)
        except (TypeError, ValueError, OverflowError):  # a JSON integer no float holds too
            seconds = math.nan
        if not math.isfinite(seconds) or seconds <= 0:
            raise _fail(
                "n_frames",
                f"must be a clip length in seconds ({allowed}), got {shown_value(value)}",
            )
    fitting = lengths_holding(model, max(seconds, at_least))
    if seconds in spec.frames and fitting and at_least > seconds + 1e-9:
        asked = f"{spec.frames_default} s (the default)" if default else f"{value} s"
        raise _fail(
            "n_frames",
            f"{asked} is shorter than the shots ({at_least:g} s in all): choose n_frames "
            f"{either(fitting)} (the lengths that hold them; longer clips cost more), or shorten "
            "the shots",
        )
    if not fitting:
        if at_least > seconds:
            raise _fail(
                "shots",
                f"add up to {at_least:g} s, more than the longest {model.value} clip "
                f"({spec.frames[-1]} s): shorten the shots",
            )
        raise _fail(
            "n_frames",
            f"must be at most {spec.frames[-1]} s for {model.value} ({allowed}), "
            f"got {shown_value(value)}",
        )
    return str(fitting[0])


def lengths_holding(model: VideoModel, seconds: float) -> list[int]:
    """The clip lengths `model` offers that are at least `seconds` long, shortest first."""
    return [length for length in spec_of(model).frames if length >= seconds - 1e-9]


def either(lengths: list[int]) -> str:
    """`15 or 25`, `10, 15 or 25`: lengths as a choice, in a message."""
    *rest, last = map(str, lengths)
    return f"{', '.join(rest)} or {last}" if rest else last
