"""The `freesora` command: create, wait, sandbox, demo and key setup, from a terminal.

Results go to stdout (the task id or the saved path is always the last line, for scripts);
progress and errors go to stderr. Nothing here prints or logs the key.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from ..config import load_settings, save_profile
from ..create.plan import PlannedTask
from ..errors import FreeSoraError, InvalidRequestError, WaitCancelledError
from ..schemas import CreateVideoRequest, VideoModel, build_create_request
from ..schemas.models import DEFAULTS, WAIT_TIMEOUT_DEFAULT_S, Size
from ..service.client import FreeSoraClient, open_session
from .display import ProgressLine

EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 1, 2, 130
TASK_ACTIONS = ("adopt", "forget", "compact")
MAY_BE_CHARGED = (
    "freesora: if the create had been sent, a task may exist and may have been charged. "
    "`freesora tasks --unfinished` lists it (state sending or unknown, with its take); if the "
    "service's history shows it, `freesora tasks adopt TAKE TASK_ID` records it."
)


def _shot(text: str) -> dict[str, Any]:
    seconds, sep, scene = text.partition(":")
    try:
        duration = float(seconds)
    except ValueError:
        duration = None
    if not sep or duration is None:
        raise argparse.ArgumentTypeError(f"must look like SECONDS:SCENE, got {text!r}")
    return {"scene": scene, "duration": duration}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="freesora", description=__doc__)
    parser.add_argument("--profile", help="config file profile to use (default: default)")
    sub = parser.add_subparsers(dest="command", required=True)

    create = sub.add_parser("create", help="create a task and print its id (spends credits)")
    create.add_argument("--model", required=True, choices=[m.value for m in VideoModel])
    create.add_argument(
        "--prompt", help="what happens (sora-2-pro-storyboard: not sent; use --shot instead)"
    )
    image = create.add_mutually_exclusive_group()
    image.add_argument("--image", type=Path, help="a local image file (JPEG, PNG, WEBP, ...)")
    image.add_argument("--image-url", help="a public http(s) URL of an image")
    create.add_argument("--fit", choices=["crop", "pad", "none"], default="none")
    create.add_argument("--aspect-ratio", choices=["landscape", "portrait"])
    create.add_argument(
        "--n-frames",
        help="clip length in seconds: 10 or 15 (storyboard: 25); another value becomes the "
        "smallest allowed length at least that long (and at least the shots' total)",
    )
    create.add_argument(
        "--size",
        choices=[size.value for size in Size],
        help=f"Pro text/image models only (default {DEFAULTS.size.value}; high costs about 2.2x)",
    )
    create.add_argument("--no-remove-watermark", action="store_true")
    create.add_argument("--private", action="store_true", help="isPublic=false (VIP accounts)")
    create.add_argument("--shot", type=_shot, action="append", metavar="SECONDS:SCENE")
    create.add_argument("--dry-run", action="store_true", help="print the request, send nothing")
    create.add_argument(
        "--seed",
        type=int,
        help="name this take: the same request and seed is created once, then reused "
        "(default: every run creates a new task)",
    )

    wait = sub.add_parser("wait", help="wait for a task and download its video")
    wait.add_argument("task_id")
    wait.add_argument("--out", type=Path, default=Path("."), help="folder for the video")
    wait.add_argument(
        "--timeout",
        type=float,
        default=WAIT_TIMEOUT_DEFAULT_S,
        help=f"seconds (default {WAIT_TIMEOUT_DEFAULT_S})",
    )
    wait.add_argument("--interval", type=float, help="seconds between checks (default: adaptive)")

    sandbox = sub.add_parser("sandbox", help="run the local emulator of the service")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--task-seconds", type=float, default=20.0, help="how long tasks take")
    sandbox.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every API answer"
    )
    sandbox.add_argument(
        "--max-in-flight",
        type=int,
        help="unfinished tasks per key before creates get 429 (default: no limit; upstream ~20)",
    )
    sandbox.add_argument(
        "--creates-per-window",
        type=int,
        help="creates per key per --window before 429 (default: no limit; upstream ~20)",
    )
    sandbox.add_argument(
        "--window", type=float, default=10.0, help="seconds of the creates window (default 10)"
    )
    sandbox.add_argument(
        "--fail-create",
        type=int,
        action="append",
        default=[],
        metavar="N",
        help="the task of the N-th create fails, refunded (repeatable)",
    )

    sandbox.add_argument(
        "--create-seconds",
        type=float,
        default=0.0,
        help="every create takes this long, and completes even if the client hangs up",
    )

    demo = sub.add_parser("demo", help="the whole job on an in-process sandbox: no key, no credits")
    demo.add_argument("--out", type=Path, default=Path("freesora-demo-output"))
    demo.add_argument("--task-seconds", type=float, default=3.0)

    key = sub.add_parser("key", help="store the API key in the config file (outside the pack)")
    key.add_argument("action", choices=["set"])

    sub.add_parser("check", help="tell whether the key is accepted (spends nothing)")

    tasks = sub.add_parser(
        "tasks",
        help="list the task journal, newest first; or adopt TAKE TASK_ID, forget TAKE, compact",
    )
    tasks.add_argument("action", nargs="?", choices=["list", *TASK_ACTIONS], default="list")
    tasks.add_argument("names", nargs="*", metavar="TAKE [TASK_ID]")
    tasks.add_argument("--limit", type=int, default=20)
    tasks.add_argument("--unfinished", action="store_true", help="only tasks not collected yet")
    tasks.add_argument("--model", choices=[m.value for m in VideoModel])
    return parser


def _request_from_args(args: argparse.Namespace) -> CreateVideoRequest:
    fields: dict[str, Any] = {"model": args.model, "prompt": args.prompt}
    if args.image is not None:
        from ..create.plan import encode_file_for

        encoded = encode_file_for(
            args.image,
            model=args.model,
            size=args.size,
            aspect_ratio=args.aspect_ratio,
            fit=args.fit,
        )
        print(f"image: {encoded.describe()}", file=sys.stderr)
        fields["image_data"] = encoded.data_url
    optional = {
        "image_url": args.image_url,
        "aspect_ratio": args.aspect_ratio,
        "n_frames": args.n_frames,
        "size": args.size,
        "remove_watermark": False if args.no_remove_watermark else None,
        "is_public": False if args.private else None,
        "shots": args.shot,
    }
    fields.update({name: value for name, value in optional.items() if value is not None})
    return build_create_request(**fields)


async def _create(args: argparse.Namespace) -> int:
    request = _request_from_args(args)
    for note in request.notes():
        print(f"note: {note}", file=sys.stderr)
    print(f"request: {request.describe()}", file=sys.stderr)
    if args.dry_run:
        print("dry run: nothing was sent and no credits were spent", file=sys.stderr)
        return 0
    settings = load_settings(args.profile)
    settings.require_key()
    from ..create.submit import submit_tasks
    from ..ledger.admission import once
    from .tasks import open_cli_ledger

    # Written ahead like the nodes' tasks. Without --seed a command line is an explicit order:
    # a take of its own, never reused. Ctrl+C waits for a sent create's answer (asyncio.run
    # cancels us; submit awaits the create shielded); a second Ctrl+C stops at once.
    ledger = await open_cli_ledger(args.profile)  # unreachable: nothing is sent
    _second_interrupt_stops_at_once()
    async with open_session(settings) as session:
        [done] = await submit_tasks(
            FreeSoraClient(session, settings),
            [PlannedTask(request)],
            ledger=ledger,
            seed=args.seed,
            reuse=args.seed is not None,
            on_wait=once(lambda message: print(f"freesora: {message}", file=sys.stderr)),
        )
    print(f"{done.describe()}", file=sys.stderr)
    print(done.task_id)
    return 0


def _second_interrupt_stops_at_once() -> None:
    """First Ctrl+C: cancel (a sent create is still awaited and recorded). Second: exit now,
    saying what may have been charged; the journal's SENDING record and its released lock then
    tell the next run that the take's outcome is unknown."""
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    presses = 0

    def on_interrupt() -> None:
        nonlocal presses
        presses += 1
        if presses == 1 and main_task is not None:
            print("freesora: stopping; Ctrl+C again to stop at once", file=sys.stderr)
            main_task.cancel()
            return
        print(f"\nfreesora: stopped at once. {MAY_BE_CHARGED}", file=sys.stderr, flush=True)
        os._exit(EXIT_INTERRUPTED)

    # Windows has no add_signal_handler: asyncio.run's own Ctrl+C handling applies there.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)


async def _wait(args: argparse.Namespace) -> int:
    from ..collect import collect_video
    from .tasks import open_cli_ledger

    settings = load_settings(args.profile)
    settings.require_key()
    line = ProgressLine(sys.stderr, args.task_id)
    async with open_session(settings) as session:
        client = FreeSoraClient(session, settings)
        result = await collect_video(
            client,
            args.task_id,
            args.out,
            timeout_s=args.timeout,
            interval_s=args.interval,
            on_progress=line.update,
            ledger=await open_cli_ledger(args.profile),
        )
    line.finish(f"saved {result.path} ({result.path.stat().st_size:,} bytes)")
    print(result.path)
    return 0


async def _sandbox(args: argparse.Namespace) -> int:
    from ..sandbox import Sandbox, serve_forever

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        sandbox = Sandbox(
            task_seconds=args.task_seconds,
            latency_s=args.latency,
            max_in_flight=args.max_in_flight,
            creates_per_window=args.creates_per_window,
            window_s=args.window,
            create_seconds=args.create_seconds,
        )
        for nth in args.fail_create:
            sandbox.fail_create(nth)
    except ValueError as exc:
        print(f"freesora sandbox: {exc}", file=sys.stderr)
        return EXIT_INVALID
    await serve_forever(args.host, args.port, sandbox=sandbox)
    return 0


def _key(args: argparse.Namespace) -> int:
    key = getpass.getpass("FreeSora API key (input hidden): ")
    if not key.strip():
        print("freesora: no key given; nothing saved", file=sys.stderr)
        return EXIT_INVALID
    path = save_profile(args.profile or "default", api_key=key)
    print(f"saved to {path} (readable by you only)", file=sys.stderr)
    return 0


async def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return await run_demo(args.out, task_seconds=args.task_seconds)


async def _check(args: argparse.Namespace) -> int:
    from ..service.keycheck import check_key

    settings = load_settings(args.profile)
    print(f"key: {settings.key_source}; service: {settings.base_url}", file=sys.stderr)
    settings.require_key()
    async with open_session(settings) as session:
        verdict = await check_key(FreeSoraClient(session, settings))
    print(verdict)
    return 0


async def _tasks(args: argparse.Namespace) -> int:
    from .tasks import run_tasks

    return await run_tasks(args)


COMMANDS = {
    "create": _create,
    "wait": _wait,
    "sandbox": _sandbox,
    "demo": _demo,
    "check": _check,
    "tasks": _tasks,
}


async def _closing_databases(command: Coroutine[Any, Any, int]) -> int:
    """Run a command, then close a farm database's pool before the event loop ends."""
    from ..ledger.open import close_databases

    try:
        return await command
    finally:
        await close_databases()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Warnings (a create awaited after Ctrl+C, a damaged journal) are for the user to read.
    if args.command != "sandbox":  # the sandbox logs its own INFO lines
        logging.basicConfig(level=logging.WARNING, format="freesora: %(message)s")
    try:
        if args.command == "key":
            return _key(args)
        return asyncio.run(_closing_databases(COMMANDS[args.command](args)))
    except InvalidRequestError as exc:
        print(f"freesora: invalid request: {exc} (nothing was sent)", file=sys.stderr)
        return EXIT_INVALID
    except (KeyboardInterrupt, asyncio.CancelledError, WaitCancelledError) as exc:
        print(f"\nfreesora: interrupted. {exc}".rstrip(), file=sys.stderr)
        if args.command == "create" and not args.dry_run:
            print(MAY_BE_CHARGED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except FreeSoraError as exc:
        print(f"freesora: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
