"""The `freesora` command's arguments: every subcommand, flag, choice and default, in one table.

Imports only the light table of models (`schemas.models`): `freesora --help` and a mistyped
flag answer without loading pydantic, aiohttp, Pillow or numpy.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..schemas.lengths import either
from ..schemas.models import (
    DEFAULTS,
    FIT_DEFAULT,
    FITS,
    SEED_DEFAULT,
    SEED_MAX,
    WAIT_TIMEOUT_DEFAULT_S,
    Size,
    VideoModel,
    spec_of,
)
from ..schemas.shots import SHOT_LIST_EXAMPLE, SHOT_LIST_FORM, duration_problem
from .exit_codes import EXIT_CODES_HELP
from .parsing import Parser, number

TASK_ACTIONS = ("adopt", "forget", "compact", "rekey")
_TEXT, _BOARD = spec_of(VideoModel.TEXT_TO_VIDEO), spec_of(VideoModel.PRO_STORYBOARD)
DESCRIPTION = """The `freesora` command: create, wait, sandbox, demo and key setup, from a terminal.

Results go to stdout (the task id or the saved path is always the last line, for scripts);
progress and errors go to stderr. Nothing here prints or logs the key.
"""


SHOT_HELP = "one storyboard shot as SECONDS:SCENE, SECONDS 0.1 to 15 (e.g. --shot '5:A harbour')"


def shot(text: str) -> dict[str, Any]:
    """`SECONDS:SCENE`, as `--shot` takes it: a shot's seconds are checked here, so that a
    wrong one is told what a shot is."""
    seconds, sep, scene = text.partition(":")
    try:
        duration = float(seconds)
    except ValueError:
        duration = None
    if not sep or duration is None or duration_problem(duration):
        raise argparse.ArgumentTypeError(f"got {text!r}; a shot is {SHOT_HELP}")
    return {"scene": scene, "duration": duration}


def seed(text: str) -> int:
    """A take's seed, as the nodes take it: a whole number 0 to SEED_MAX."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be a whole number 0 to {SEED_MAX}, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="freesora", description=DESCRIPTION, epilog=EXIT_CODES_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_create(sub)
    _add_wait(sub)
    _add_sandbox(sub)
    demo = sub.add_parser("demo", help="the whole job on an in-process sandbox: no key, no credits")
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("freesora-demo-output"),
        help="folder for the demo's videos (default: freesora-demo-output)",
    )
    demo.add_argument(
        "--task-seconds",
        type=number(float, low=0),
        default=3.0,
        help="how long each sandbox task takes (default 3)",
    )
    key = sub.add_parser(
        "key",
        help="store the API key in the config file (outside the pack)",
        description="Store the API key in the config file, readable by you only.",
    )
    key.add_argument(
        "action",
        choices=["set"],
        help="set: read the key at a hidden prompt (or from a pipe) and store it for --profile",
    )
    sub.add_parser("check", help="tell whether the key is accepted (spends nothing)")
    _add_tasks(sub)
    _add_everywhere(parser, sub)
    return parser


def _add_everywhere(parser: argparse.ArgumentParser, sub: Subparsers) -> None:
    """`--profile` and `--journal`, taken before the command or after it: the commands the
    pack prints put them last (`freesora tasks forget TAKE --journal PATH`)."""
    options = {
        "--profile": ("PROFILE", "config file profile to use (default: default)"),
        "--journal": (
            "PATH",
            "the task journal to use: a file, or a postgresql:// URL (default: the profile's "
            "journal, FREESORA_JOURNAL, else your data folder's tasks.jsonl)",
        ),
    }
    for flag, (metavar, text) in options.items():
        parser.add_argument(flag, metavar=metavar, help=text)
        for command in sub.choices.values():  # SUPPRESS: a flag given first is not reset
            command.add_argument(flag, default=argparse.SUPPRESS, metavar=metavar, help=text)


Subparsers = Any  # argparse's _SubParsersAction, which it does not export


def _add_create(sub: Subparsers) -> None:
    create = sub.add_parser(
        "create",
        help="create a task and print its id (spends credits; the same command again reuses it)",
        description="Create a task and print its id. As with the nodes, the same command again "
        "reuses its task: nothing is sent and no credits are spent. Use --seed N for a new paid "
        "take.",
        epilog=EXIT_CODES_HELP,
    )
    create.add_argument(
        "--model",
        required=True,
        choices=[m.value for m in VideoModel],
        metavar="MODEL",
        help="the service's model: " + ", ".join(m.value for m in VideoModel),
    )
    create.add_argument(
        "--prompt",
        help="what happens (sora-2-pro-storyboard: not sent; use --shot or --shot-list)",
    )
    image = create.add_mutually_exclusive_group()
    image.add_argument("--image", type=Path, help="a local image file (JPEG, PNG, WEBP, ...)")
    image.add_argument("--image-url", help="a public http(s) URL of an image")
    create.add_argument(
        "--fit",
        choices=FITS,
        default=FIT_DEFAULT,
        help="how --image is made the shape of the video: crop the centre, pad with black bars, "
        f"or keep its shape (default: {FIT_DEFAULT}, as the node)",
    )
    create.add_argument(
        "--aspect-ratio",
        choices=["landscape", "portrait"],
        help="the video's shape (default: with --image the image's own, as the node's auto; "
        "else landscape)",
    )
    create.add_argument(
        "--n-frames",
        help=f"clip length in seconds: {either(list(_TEXT.frames))} (default "
        f"{_TEXT.frames_default}); sora-2-pro-storyboard {either(list(_BOARD.frames))} (default "
        f"{_BOARD.frames_default}), and its shots must fit it; a length not offered becomes the "
        "next longer one",
    )
    create.add_argument(
        "--size",
        choices=[size.value for size in Size],
        help=f"Pro text/image models only (default {DEFAULTS.size.value}; high costs about 2.2x)",
    )
    create.add_argument(
        "--no-remove-watermark",
        action="store_true",
        help="keep the service's watermark (sora-2-text-to-video, sora-2-image-to-video and the "
        "Pro text/image models remove it by default)",
    )
    create.add_argument("--private", action="store_true", help="isPublic=false (VIP accounts)")
    shots = create.add_mutually_exclusive_group()
    shots.add_argument(
        "--shot",
        type=shot,
        action="append",
        metavar="SECONDS:SCENE",
        help=SHOT_HELP + ", repeated in order",
    )
    shots.add_argument(
        "--shot-list",
        type=Path,
        metavar="FILE",
        help=f"a text file of storyboard shots, one a line as {SHOT_LIST_FORM} (e.g. "
        f"'{SHOT_LIST_EXAMPLE}'), as the Storyboard node's shot_list",
    )
    create.add_argument("--dry-run", action="store_true", help="print the request, send nothing")
    create.add_argument(
        "--seed",
        type=seed,
        default=SEED_DEFAULT,
        metavar="N",
        help="the take: the same request and seed is created once, then reused; another N is "
        f"a new paid take (default {SEED_DEFAULT}, as the nodes; 0 to {SEED_MAX})",
    )


def _add_wait(sub: Subparsers) -> None:
    wait = sub.add_parser(
        "wait",
        help="wait for a task and download its video",
        description="Wait for a task and save its video as freesora_TASK_ID.mp4; its path is "
        "the last line printed.",
        epilog=EXIT_CODES_HELP,
    )
    wait.add_argument("task_id", metavar="TASK_ID", help="the task id `create` printed")
    wait.add_argument(
        "--out",
        type=Path,
        default=Path("."),
        help="folder to save the video in, made if missing (default: the current folder)",
    )
    wait.add_argument(
        "--timeout",
        type=number(float, low=0, above=True),
        default=WAIT_TIMEOUT_DEFAULT_S,
        help="seconds to wait before giving up; the task goes on "
        f"(default {WAIT_TIMEOUT_DEFAULT_S})",
    )
    wait.add_argument(
        "--interval",
        type=number(float, low=0, above=True),
        help="seconds between checks (default: adaptive)",
    )


def _add_sandbox(sub: Subparsers) -> None:
    sandbox = sub.add_parser("sandbox", help="run the local emulator of the service")
    sandbox.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    sandbox.add_argument(
        "--port",
        type=number(int, low=0, high=65535),
        default=8765,
        help="port to listen on, 0 to 65535 (default 8765; 0: any free port)",
    )
    sandbox.add_argument(
        "--task-seconds",
        type=number(float, low=0),
        default=20.0,
        help="how long tasks take (default 20)",
    )
    sandbox.add_argument(
        "--latency",
        type=number(float, low=0),
        default=0.0,
        help="seconds added to every API answer",
    )
    sandbox.add_argument(
        "--max-in-flight",
        type=number(int, low=1),
        help="unfinished tasks per key before creates get 429 (default: no limit; upstream ~20)",
    )
    sandbox.add_argument(
        "--creates-per-window",
        type=number(int, low=1),
        help="creates per key per --window before 429 (default: no limit; upstream ~20)",
    )
    sandbox.add_argument(
        "--window",
        type=number(float, low=0, above=True),
        default=10.0,
        help="seconds of the creates window (default 10)",
    )
    sandbox.add_argument(
        "--fail-create",
        type=number(int, low=1),
        action="append",
        default=[],
        metavar="N",
        help="the task of the N-th create fails, refunded (repeatable)",
    )
    sandbox.add_argument(
        "--create-seconds",
        type=number(float, low=0),
        default=0.0,
        help="every create takes this long, and completes even if the client hangs up",
    )


def _add_tasks(sub: Subparsers) -> None:
    tasks = sub.add_parser(
        "tasks",
        help="list the task journal, newest first; or adopt TAKE TASK_ID, forget TAKE, compact,"
        " rekey (a journal that lost its secret goes on with a new one: earlier takes pay again)",
    )
    tasks.add_argument(
        "action",
        nargs="?",
        choices=["list", *TASK_ACTIONS],
        default="list",
        help="list (the default), adopt TAKE TASK_ID, forget TAKE, compact or rekey",
    )
    tasks.add_argument(
        "names",
        nargs="*",
        metavar="TAKE [TASK_ID]",
        help="the take (as `tasks` and the errors show it) and, for adopt, its task id",
    )
    tasks.add_argument(
        "--limit",
        type=number(int, low=1),
        default=20,
        help="how many takes to list, newest first (default 20)",
    )
    tasks.add_argument("--unfinished", action="store_true", help="only tasks not collected yet")
    tasks.add_argument(
        "--model",
        choices=[m.value for m in VideoModel],
        metavar="MODEL",
        help="only this model's takes",
    )
    tasks.add_argument(
        "--spent",
        action="store_true",
        help="print the credits spent in the last 24 hours and the profile's daily budget",
    )
