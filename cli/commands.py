"""The other commands of `freesora`: wait, check, key set, sandbox, demo and tasks.

Each imports what it needs when it runs (aiohttp for HTTP, the sandbox for sandbox and demo),
so starting the command costs only what the command given uses.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from ..config import check_key_form, check_profile_name, save_profile
from ..errors import ConfigError
from .exit_codes import EXIT_INVALID
from .selected import settings_of


async def run_wait(args: argparse.Namespace) -> int:
    from ..facade import FreeSora
    from .display import ProgressLine

    line = ProgressLine(sys.stderr, args.task_id)
    async with FreeSora.open(settings=settings_of(args)) as fs:
        result = await fs.collect(
            args.task_id,
            args.out,
            timeout_s=args.timeout,
            interval_s=args.interval,
            on_progress=line.update,
        )
    line.finish(f"saved {result.path} ({result.path.stat().st_size:,} bytes)")
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
    await serve_forever(args.host, args.port, sandbox=sandbox)
    return 0


def run_key(args: argparse.Namespace) -> int:
    """Store a key typed at a hidden prompt, checked by the same rule as the page's key form."""
    typed = getpass.getpass("FreeSora API key (input hidden): ")
    try:
        profile = check_profile_name(args.profile)
        key = check_key_form(typed)
    except ConfigError as exc:  # never repeats what was typed: it may be a key
        print(f"freesora key set: {exc}; nothing saved", file=sys.stderr)
        return EXIT_INVALID
    path = save_profile(profile, api_key=key)
    print(f"saved to {path} (readable by you only)", file=sys.stderr)
    return 0


async def demo_command(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return await run_demo(args.out, task_seconds=args.task_seconds)


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
