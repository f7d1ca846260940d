"""A storyboard's shots: the rules of one shot and of the list, and the text form of a list.

The text form is one shot a line, `SECONDS | scene`: the Storyboard node's `shot_list` widget
and the command line's `--shot-list FILE` read it here, and the request model
(`schemas.request`) checks every shot by the same rules, whichever way the shots came. The
clip length the shots must fit is `schemas.lengths`' rule. Imports only the light table of
models: the nodes' queue-time checks read a list without loading pydantic.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from ..errors import InvalidRequestError
from .models import MAX_SHOT_S, MAX_SHOTS, MIN_SHOT_S, MIN_SHOTS

SHOT_LIST_FORM = "SECONDS | scene"
SHOT_LIST_EXAMPLE = "5 | Establishing shot of a city skyline at dusk"
SHOT_LIST_FIELD = "shot_list"
# The first `|` ends the seconds: a scene may hold more of them.
_SEPARATOR = "|"
_SECONDS = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_SHOWN_CHARS = 40  # of a refused line, in its message
# The line ends the timeline (web/freesora_timeline.js) splits on too, so line numbers agree.
_LINE_END = re.compile(r"\r\n|\r|\n")


def duration_problem(seconds: float) -> str | None:
    """What is wrong with a shot of `seconds`, or None: 0.1 to 15 s (upstream's rule)."""
    if not math.isfinite(seconds) or not MIN_SHOT_S <= seconds <= MAX_SHOT_S:
        return f"must be {MIN_SHOT_S:g} to {MAX_SHOT_S:g} seconds, got {seconds:g}"
    return None


def count_problem(count: int) -> str | None:
    """What is wrong with a storyboard of `count` shots, or None: 1 to 10 (upstream's rule)."""
    if not MIN_SHOTS <= count <= MAX_SHOTS:
        return f"must be {MIN_SHOTS} to {MAX_SHOTS} shots, got {count}"
    return None


def parse_shot_list(text: str, *, label: str = SHOT_LIST_FIELD) -> list[dict[str, Any]]:
    """The shots of a text, one a line as `SECONDS | scene`, blank lines ignored.

    Seconds are 0.1 to 15 in tenths, as the Shot Builder takes them. The first bad line is
    refused naming `label` (the widget, or the flag and file) and its line number.
    """
    shots: list[dict[str, Any]] = []
    for number, line in enumerate(_LINE_END.split(text), start=1):
        if not line.strip():
            continue
        where = f"{label} line {number}"
        if len(shots) == MAX_SHOTS:
            raise _refused(
                where, f"is shot {MAX_SHOTS + 1}; a storyboard takes at most {MAX_SHOTS} shots"
            )
        shots.append(_shot(line, where))
    return shots


def _shot(line: str, where: str) -> dict[str, Any]:
    seconds, separator, scene = line.partition(_SEPARATOR)
    if not separator:
        raise _refused(
            where,
            f"must look like {SHOT_LIST_FORM} (e.g. {SHOT_LIST_EXAMPLE}), got {_shown(line)}",
        )
    duration = _seconds(seconds.strip())
    if duration is None or duration_problem(duration):
        raise _refused(
            where,
            f"SECONDS must be {MIN_SHOT_S:g} to {MAX_SHOT_S:g} in tenths of a second "
            f"(like 5 or 2.5), got {_shown(seconds.strip())}",
        )
    if not scene.strip():
        raise _refused(where, f"the scene after {_SEPARATOR} is empty: say what the shot shows")
    return {"scene": scene.strip(), "duration": duration}


def _seconds(text: str) -> float | None:
    """A number of seconds in tenths (`5`, `2.5`, `.5`), or None."""
    if not _SECONDS.fullmatch(text):
        return None
    value = Decimal(text)
    return float(value) if (value * 10) % 1 == 0 else None


def _shown(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "...")


def _refused(where: str, what: str) -> InvalidRequestError:
    return InvalidRequestError(f"{where}: {what}", field=SHOT_LIST_FIELD)


def has_shots(shot_list: str | None) -> bool:
    """Whether a shot_list says anything (None: a linked text, known only when it runs)."""
    return shot_list is None or bool(shot_list.strip())


def source_problem(*, linked: bool, shot_list: str | None) -> str | None:
    """A storyboard takes its shots from one place: its `shot_list` text, or the `shots`
    input linked from Shot Builders (`linked`). Both, or neither, is refused."""
    if linked and has_shots(shot_list):
        return (
            "shot_list and the connected shots input both give shots: clear shot_list to use "
            "the Shot Builders, or disconnect shots to use shot_list"
        )
    if not linked and not has_shots(shot_list):
        return (
            f"shot_list is empty and no Shot Builder is connected to shots: write one shot a "
            f"line as {SHOT_LIST_FORM} (e.g. {SHOT_LIST_EXAMPLE}), or connect Shot Builders"
        )
    return None


def storyboard_shots(
    shots: list[dict[str, Any]] | None, shot_list: str | None
) -> list[dict[str, Any]]:
    """The shots a storyboard sends: the linked `shots` or the parsed `shot_list`, never
    both (when the graph runs, a linked input holds its value)."""
    problem = source_problem(linked=shots is not None, shot_list=shot_list or "")
    if problem:
        raise InvalidRequestError(problem, field=SHOT_LIST_FIELD)
    return list(shots) if shots is not None else parse_shot_list(shot_list or "")
