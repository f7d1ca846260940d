"""What a take's create asked for, kept with the take: a person deciding on a take whose outcome
is unknown sees the prompt (or each storyboard shot), the clip length, the aspect ratio and size,
and whether an image went with it; never the image itself, a key or a URL.

An optional field of a take's first record (`request` in the file journal's `sending` and
`entry` records, a key of `extra` in PostgreSQL): a pack that does not know it reads the take all
the same, and a take recorded without it reads as None. Read back leniently: a part of the wrong
shape is left out, never a reason to lose the take.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .listing import excerpt

REQUEST = "request"  # the field's name in a record and in PostgreSQL's `extra`
PROMPT_CHARS = 1000  # enough to recognise a prompt; a storyboard keeps this much per shot
SHOTS = 50  # far beyond any storyboard the service takes: a bound on what is read back


def kept_request(
    *,
    prompt: str | None,
    shots: Sequence[tuple[float, str]] | None,
    seconds: float | None,
    aspect_ratio: str,
    size: str | None,
    image: bool,
) -> dict[str, Any]:
    """The request as the take keeps it (texts cut at a word with an ellipsis)."""
    kept: dict[str, Any] = {"aspect_ratio": aspect_ratio}
    if prompt and prompt.strip():
        kept["prompt"] = _cut(prompt)
    if shots:
        kept["shots"] = [
            {"seconds": _number(length), "prompt": _cut(scene)} for length, scene in shots[:SHOTS]
        ]
    if seconds is not None:
        kept["seconds"] = _number(seconds)
    if size:
        kept["size"] = size
    if image:
        kept["image"] = True
    return kept


def read_request(value: object) -> dict[str, Any] | None:
    """A record's `request` as `kept_request` made it, with any part of the wrong shape left
    out; None when there is none (a record without `request`) or nothing usable."""
    if not isinstance(value, dict):
        return None
    read: dict[str, Any] = {}
    for name in ("prompt", "aspect_ratio", "size"):
        if isinstance(value.get(name), str) and value[name]:
            read[name] = _cut(value[name])
    if _is_length(value.get("seconds")):
        read["seconds"] = value["seconds"]
    if value.get("image") is True:
        read["image"] = True
    shots = value.get("shots")
    if isinstance(shots, list):
        read_shots = [
            {"seconds": shot["seconds"], "prompt": _cut(shot["prompt"])}
            for shot in shots[:SHOTS]
            if isinstance(shot, dict)
            and _is_length(shot.get("seconds"))
            and isinstance(shot.get("prompt"), str)
        ]
        if read_shots:
            read["shots"] = read_shots
    return read or None


def _cut(text: str) -> str:
    return excerpt(" ".join(text.split()), PROMPT_CHARS)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _is_length(value: object) -> bool:
    """A clip or shot length in seconds as JSON keeps it (not a bool, finite, positive)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return 0 < value < 1e6
