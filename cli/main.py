"""The `freesora` command: create, wait, sandbox, demo and key setup, from a terminal.

Results go to stdout (the task id or the saved path is always the last line, for scripts);
progress and errors go to stderr. Nothing here prints or logs the key. This module parses and
dispatches and turns errors into exit codes; each command lives in `create_command.py`,
`commands.py` or `tasks.py` and loads its heavy dependencies only when it runs.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import shlex
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from ..errors import ConfigError, FreeSoraError, InvalidRequestError, WaitCancelledError
from .arguments import build_parser
from .commands import demo_command, run_check, run_key, run_wait, sandbox_command, tasks_command
from .create_command import may_be_charged, on_new_line, run_create
from .exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INVALID
from .parsing import flag_message
from .selected import flags_of

COMMANDS: dict[str, Callable[[Any], Coroutine[Any, Any, int]]] = {
    "create": run_create,
    "wait": run_wait,
    "sandbox": sandbox_command,
    "demo": demo_command,
    "check": run_check,
    "tasks": tasks_command,
}


async def _closing_databases(command: Coroutine[Any, Any, int]) -> int:
    """Run a command, then close a farm database's pool before the event loop ends."""
    from ..facade import close_databases

    try:
        return await command
    finally:
        await close_databases()


def main(argv: list[str] | None = None) -> int:
    try:
        return run_command(argv)
    except ModuleNotFoundError as exc:
        hint = missing_packages(exc)
        if hint is None:
            raise
        print(hint, file=sys.stderr)
        return EXIT_INVALID


def run_command(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    # Warnings (a create awaited after Ctrl+C, a damaged journal) are for the user to read.
    if args.command != "sandbox":  # the sandbox logs its own INFO lines
        logging.basicConfig(level=logging.WARNING, format="freesora: %(message)s")
    try:
        if args.command == "key":
            return run_key(args)
        return asyncio.run(_closing_databases(COMMANDS[args.command](args)))
    except InvalidRequestError as exc:
        if args.command != "create":  # a take or id the command was given: no request to send
            print(f"freesora {args.command}: {exc}", file=sys.stderr)
            return EXIT_INVALID
        said = flag_message(str(exc), exc.field)
        print(f"freesora: invalid request: {said} (nothing was sent)", file=sys.stderr)
        return EXIT_INVALID
    except ConfigError as exc:  # a key, profile or setting to fix before anything can be sent
        print(f"freesora: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except (KeyboardInterrupt, asyncio.CancelledError, WaitCancelledError) as exc:
        print(on_new_line(f"freesora: interrupted. {exc}".rstrip()), file=sys.stderr)
        if args.command == "create" and not args.dry_run:
            print(may_be_charged(flags_of(args)), file=sys.stderr)
        if args.command == "wait":
            print(wait_again_hint(args), file=sys.stderr)
        return EXIT_INTERRUPTED
    except FreeSoraError as exc:
        print(f"freesora: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # a file or folder of the user's the command cannot use
        from ..config import why_not_written

        where = f"{exc.filename}: " if exc.filename else ""
        print(f"freesora: {where}{why_not_written(exc)}", file=sys.stderr)
        return EXIT_INVALID


# The pack's runtime dependencies (requirements.txt), by import name: ComfyUI's Python has them.
RUNTIME_PACKAGES = {"aiohttp": "aiohttp", "pydantic": "pydantic", "PIL": "pillow", "numpy": "numpy"}


def missing_packages(exc: ModuleNotFoundError) -> str | None:
    """One line saying what to install, when `exc` is a runtime dependency this Python lacks
    (e.g. `python3 run_freesora.py check` with a system Python); None for anything else."""
    if (exc.name or "").split(".")[0] not in RUNTIME_PACKAGES:
        return None
    missing = [
        pip for name, pip in RUNTIME_PACKAGES.items() if importlib.util.find_spec(name) is None
    ]
    requirements = Path(__file__).resolve().parents[1] / "requirements.txt"
    what = f"-r {requirements}" if requirements.is_file() else " ".join(missing)
    return (
        f"freesora: this Python ({sys.executable}) lacks {', '.join(missing)}, which the command "
        f"needs: run `{sys.executable} -m pip install {what}`, or run it with ComfyUI's Python"
    )


def wait_again_hint(args: Any) -> str:
    """What an interrupted `wait` tells: the task goes on, and the command that picks it up."""
    task_id = str(args.task_id).strip()
    out = "" if args.out == Path(".") else f" --out {shlex.quote(str(args.out))}"
    return (
        f"freesora: task {task_id} goes on on the service (nothing is lost); to wait for it "
        f"again: freesora wait {task_id}{out}{flags_of(args)}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
