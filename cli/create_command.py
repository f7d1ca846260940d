"""`freesora create`: the arguments -> one checked request -> a take written ahead, then sent.

The money path of the command line. pydantic loads for the request, Pillow and numpy only for
`--image`, aiohttp only once something is sent (`--dry-run` never loads it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .exit_codes import EXIT_INTERRUPTED
from .parsing import flag_message
from .selected import flags_of, settings_of

if TYPE_CHECKING:
    from ..create import Submitted
    from ..schemas import CreateVideoRequest
    from ..schemas.pricing import PriceTable


def may_be_charged(flags: str) -> str:
    """What an interrupted create tells; `flags` select its journal (`selected.flags_of`)."""
    return (
        "freesora: if the create had been sent, a task may exist and may have been charged. "
        f"`freesora tasks --unfinished{flags}` lists it (state sending or unknown, with its "
        f"take); if the service's history shows it, `freesora tasks adopt TAKE TASK_ID{flags}` "
        "records it."
    )


def request_from_args(args: argparse.Namespace) -> CreateVideoRequest:
    from ..schemas import build_create_request

    fields: dict[str, Any] = {"model": args.model, "prompt": args.prompt}
    aspect_ratio = args.aspect_ratio
    if args.image is not None:
        from ..create.plan import PLACEHOLDER_DATA_URL, encode_file_for

        # Every other field is checked before the image is read and encoded.
        build_create_request(**fields, image_data=PLACEHOLDER_DATA_URL, **optional_fields(args))

        # Without --aspect-ratio the video follows the image's orientation, as the node's auto.
        aspect_ratio, encoded = encode_file_for(
            args.image,
            model=args.model,
            size=args.size,
            aspect_ratio=args.aspect_ratio,
            fit=args.fit,
        )
        print(f"image: {encoded.describe()}", file=sys.stderr)
        fields["image_data"] = encoded.data_url
    fields.update(optional_fields(args, aspect_ratio=aspect_ratio))
    return build_create_request(**fields)


def optional_fields(args: argparse.Namespace, *, aspect_ratio: str | None = None) -> dict[str, Any]:
    """The request's fields the flags give, but for the model, prompt and image."""
    optional = {
        "image_url": args.image_url,
        "aspect_ratio": aspect_ratio or args.aspect_ratio,
        "n_frames": args.n_frames,
        "size": args.size,
        "remove_watermark": False if args.no_remove_watermark else None,
        "is_public": False if args.private else None,
        "shots": shots_from_file(args.shot_list) if args.shot_list else args.shot,
    }
    return {name: value for name, value in optional.items() if value is not None}


def shots_from_file(path: Path) -> list[dict[str, Any]]:
    """The shots of a `--shot-list` file, read as the Storyboard node reads its shot_list."""
    from ..errors import InvalidRequestError
    from ..schemas.shots import SHOT_LIST_FORM, parse_shot_list

    label = f"--shot-list {path}"
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM, as Windows editors write
    except UnicodeDecodeError:
        raise InvalidRequestError(f"{label}: is not UTF-8 text", field="shot_list") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidRequestError(
            f"{label}: cannot be read ({reason})", field="shot_list"
        ) from None
    shots = parse_shot_list(text, label=label)
    if not shots:
        raise InvalidRequestError(
            f"{label}: holds no shot: write one a line as {SHOT_LIST_FORM}", field="shot_list"
        )
    return shots


async def run_create(args: argparse.Namespace) -> int:
    # The profile, its key and the price table first: a setting to fix is told before the
    # request and its price are printed, not after.
    settings = settings_of(args)
    if args.dry_run:
        print_request(args)
        print("dry run: nothing was sent and no credits were spent", file=sys.stderr)
        return 0
    from ..create import PlannedTask
    from ..facade import FreeSora
    from ..ledger import once

    # Written ahead and reused like the nodes' tasks: the same request and seed (default 0, as
    # the nodes) is one take, so running the same command twice pays once. Ctrl+C waits for a
    # sent create's answer (asyncio.run cancels us; submit outlives the cancel); a
    # second Ctrl+C stops at once. No key, or an unreachable ledger: nothing is sent.
    created: list[Submitted] = []
    async with FreeSora.open(settings=settings) as fs:
        request, prices = print_request(args)
        second_interrupt_stops_at_once(may_be_charged(flags_of(args)))
        try:
            [done] = await fs.create(
                [PlannedTask(request)],
                seed=args.seed,
                reuse=True,
                prices=prices,
                on_submitted=lambda _slot, result: created.append(result),
                on_wait=once(lambda message: print(f"freesora: {message}", file=sys.stderr)),
            )
        except asyncio.CancelledError:
            if not created:  # nothing sent, or its outcome unknown: `main` says what to do
                raise
            return interrupted_after(created[0], flags_of(args))
    print(f"{done.describe()}", file=sys.stderr)
    print(done.task_id)
    return 0


def interrupted_after(done: Submitted, flags: str) -> int:
    """Ctrl+C while the create was answered: the task exists, so say so once, with the way
    to its video (`flags`: its journal), and print its id last on stdout as after any create."""
    print(
        f"freesora: interrupted after the create: {done.describe()} goes on at the service "
        f"(kept in the task journal); to download it: freesora wait {done.task_id}{flags}",
        file=sys.stderr,
    )
    print(done.task_id)
    return EXIT_INTERRUPTED


def on_new_line(text: str) -> str:
    """`text` on a line of its own: a terminal echoes Ctrl+C as `^C` with no newline."""
    return ("\n" if sys.stderr.isatty() else "") + text


def print_request(args: argparse.Namespace) -> tuple[CreateVideoRequest, PriceTable]:
    """The checked request, printed with its notes and its price (the length as sent)."""
    from ..config import config_path
    from ..schemas.pricing import is_users, load_user_prices, merged_prices, price_of, shown

    user = load_user_prices()  # a wrong table is refused before the request is built
    prices = merged_prices(user)
    request = request_from_args(args)
    for note in request.notes():
        print(f"note: {flag_message(note, None)}", file=sys.stderr)
    print(f"request: {request.describe()}", file=sys.stderr)
    body = request.to_payload()
    mine = is_users(user, body)
    source = f"your price table in {config_path()}" if mine else "the pack's estimate"
    print(f"price: ≈ {shown(price_of(body, prices))} credits ({source})", file=sys.stderr)
    return request, prices


def second_interrupt_stops_at_once(told: str) -> None:
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
            print(on_new_line("freesora: stopping; Ctrl+C again to stop at once"), file=sys.stderr)
            main_task.cancel()
            return
        print(on_new_line("freesora: stopped at once."), file=sys.stderr)
        print(told, file=sys.stderr, flush=True)
        os._exit(EXIT_INTERRUPTED)

    # Windows has no add_signal_handler: asyncio.run's own Ctrl+C handling applies there.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
