"""The other commands of `freesora`: wait, check, key set, sandbox, demo and tasks.

Each imports what it needs when it runs (aiohttp for HTTP, the sandbox for sandbox and demo),
so starting the command costs only what the command given uses.
"""

from __future__ import annotations

import argparse
import errno
import getpass
import logging
import sys
from pathlib import Path

from ..config import (
    ENV_KEY,
    check_key_form,
    check_profile_name,
    load_settings,
    save_profile,
    why_not_written,
)
from ..errors import ConfigError
from .exit_codes import EXIT_INVALID
from .selected import settings_of

KEY_PROMPT = "FreeSora API key (input hidden): "


def out_folder(path: Path, *, then: str = "") -> Path:
    """`--out`, made before any work starts; ConfigError (one line, exit 2) when it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"--out {path} cannot be made: {why_not_written(exc)}; choose another folder{then}"
        ) from None
    return path


async def run_wait(args: argparse.Namespace) -> int:
    from ..facade import FreeSora
    from .display import ProgressLine

    out_folder(args.out, then=f" (the task goes on: `freesora wait {args.task_id} --out DIR`)")
    line = ProgressLine(sys.stderr, args.task_id)
    async with FreeSora.open(settings=settings_of(args)) as fs:
        result = await fs.collect(
            args.task_id,
            args.out,
            timeout_s=args.timeout,
            interval_s=args.interval,
            on_progress=line.update,
        )
    size = f"{result.path.stat().st_size:,} bytes"
    if result.copied_from is not None:  # collected before: no download, the folder asked for
        line.finish(f"saved before at {result.copied_from}; copied to {result.path} ({size})")
    else:
        line.finish(f"saved {result.path} ({size})")
    print(result.path)
    return 0


async def sandbox_command(args: argparse.Namespace) -> int:
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
    try:
        await serve_forever(args.host, args.port, sandbox=sandbox)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        taken = exc.errno == errno.EADDRINUSE
        why = "the port is in use" if taken else (exc.strerror or type(exc).__name__)
        print(
            f"freesora sandbox: cannot listen on {args.host}:{args.port}: {why}; choose another "
            "--port (or --host)",
            file=sys.stderr,
        )
        return EXIT_INVALID
    return 0


def run_key(args: argparse.Namespace) -> int:
    """Store a key typed at a hidden prompt (or piped in), checked by the same rule as the
    page's key form; then say whether the environment's key wins over it."""
    typed = read_key()
    if typed is None:
        print(
            "freesora key set: no key was given (the input ended): type it at the prompt, or "
            "pipe it in (`freesora key set < key.txt`); nothing saved",
            file=sys.stderr,
        )
        return EXIT_INVALID
    try:
        profile = check_profile_name(args.profile)
        key = check_key_form(typed)
    except ConfigError as exc:  # never repeats what was typed: it may be a key
        print(f"freesora key set: {exc}; nothing saved", file=sys.stderr)
        return EXIT_INVALID
    path = save_profile(profile, api_key=key)
    print(f"saved to {path} (readable by you only)", file=sys.stderr)
    settings = load_settings(profile)
    if ENV_KEY in settings.key_source:  # the environment wins for the default profile
        print(
            f"note: the environment variable {ENV_KEY} is set, and wins over the key just "
            f"stored: unset it (and restart ComfyUI) to use the stored key",
            file=sys.stderr,
        )
    return 0


def read_key() -> str | None:
    """The key typed at a hidden prompt on a terminal, else the first line piped in; None when
    the input ended first. A pipe is read directly: getpass would warn that it cannot hide it."""
    if sys.stdin is None:
        return None
    if sys.stdin.isatty():
        try:
            return getpass.getpass(KEY_PROMPT)
        except EOFError:
            return None
    line = sys.stdin.readline()
    return line or None


async def demo_command(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return await run_demo(out_folder(args.out), task_seconds=args.task_seconds)


async def run_check(args: argparse.Namespace) -> int:
    from ..service.keycheck import check_settings

    settings = settings_of(args)
    print(f"key: {settings.key_source}; service: {settings.base_url}", file=sys.stderr)
    verdict = await check_settings(settings)
    print(verdict)
    return 0


async def tasks_command(args: argparse.Namespace) -> int:
    from .tasks import run_tasks

    return await run_tasks(args)
