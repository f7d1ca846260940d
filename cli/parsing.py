"""How the `freesora` command reads its arguments and words their errors: one line naming the
flag and what is allowed, exit 2, and the usage of the subcommand that was typed.

Imports nothing heavy: `freesora --help` and a mistyped flag answer at once.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from .exit_codes import EXIT_INVALID

# Flags whose value may start with "-" (a prompt, a shot): argparse would read "-2:a" as a flag.
DASHED_VALUES = ("--shot", "--prompt")


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, never breaking a line inside a model's name (`sora-2-pro-storyboard`)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        flat = " ".join(text.split())
        return textwrap.fill(
            flat, width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
        )


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: `freesora create: --model: ...; see
    `freesora create --help``, and whose unknown flags are blamed on the subcommand typed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        message = message.removeprefix("argument ")
        print(f"{self.prog}: {message}; see `{self.prog} --help`", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)

    def parse_args(  # type: ignore[override]  # argparse's overloads; one form is used here
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        argv = joined_dashed_values(list(sys.argv[1:] if args is None else args))
        parsed, extras = self.parse_known_args(argv, namespace)
        if extras:
            where = self.subcommand(getattr(parsed, "command", None)) or self
            where.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def subcommand(self, name: str | None) -> Parser | None:
        """The parser of subcommand `name`, or None."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and name in action.choices:
                found = action.choices[name]
                return found if isinstance(found, Parser) else None
        return None


def joined_dashed_values(argv: list[str]) -> list[str]:
    """`--shot -2:a` as `--shot=-2:a`, so that the value reaches its check (which says what a
    shot is) instead of argparse's "expected one argument"."""
    joined: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token in DASHED_VALUES:
            value = next(tokens, None)
            if value is not None and value.startswith("-") and not value.startswith("--"):
                joined.append(f"{token}={value}")
                continue
            joined.append(token)
            if value is not None:
                joined.append(value)
            continue
        joined.append(token)
    return joined


def number(
    kind: Callable[[str], Any], *, low: float, high: float | None = None, above: bool = False
) -> Callable[[str], Any]:
    """An argparse type: `kind(text)` within [low, high] (`above`: more than `low`)."""
    what = "a whole number" if kind is int else "a finite number"
    if above:
        allowed = f"{what} above {low:g}"
    elif high is None:
        allowed = f"{what} of at least {low:g}"
    else:
        allowed = f"{what} {low:g} to {high:g}"

    def read(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is not None and not math.isfinite(value):
            value = None
        too_low = value is not None and (value <= low if above else value < low)
        if value is None or too_low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}")
        return value

    read.__name__ = kind.__name__  # argparse names the type in some messages
    return read


# The request's fields (the nodes' widget names, in `InvalidRequestError.field` and its message)
# as the flags `freesora create` takes for them.
FLAGS = {
    "n_frames": "--n-frames",
    "image_url": "--image-url",
    "aspect_ratio": "--aspect-ratio",
    "remove_watermark": "--no-remove-watermark",
    "is_public": "--private",
    "shot_list": "--shot-list",
    "image": "--image",
    "prompt": "--prompt",
    "model": "--model",
    "size": "--size",
    "shots": "--shot",
}
# A shot's fields, after "shot N: " (only `--shot` numbers its shots; a file names its lines).
SHOT_FIELDS = {"duration_s": "seconds", "scene": "the scene"}
_SHOT_PLACE = re.compile(r"^shot (\d+): (\w+)")


def flag_message(message: str, field: str | None) -> str:
    """A request error as the command line words it: the flags, never the fields.

    `n_frames must be ...` -> `--n-frames must be ...`; `shot 2: duration_s must be ...` ->
    `--shot 2: seconds must be ...`. Names with an underscore are fields wherever they stand;
    a plain word (`image`, `size`) only where the message starts by naming its field.
    """
    shot = _SHOT_PLACE.match(message)
    if shot and shot.group(2) in SHOT_FIELDS:
        end = shot.end(2)
        message = f"--shot {shot.group(1)}: {SHOT_FIELDS[shot.group(2)]}{message[end:]}"
    elif field in FLAGS and re.match(rf"{re.escape(field)}\b(?!_)", message):
        message = FLAGS[field] + message[len(field) :]
    for name, flag in FLAGS.items():
        if "_" in name:
            message = re.sub(rf"(?<![\w-]){name}\b", flag, message)
    return message
