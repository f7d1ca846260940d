"""The ledger's lists: the inbox's JSON rows (newest first, paged), the takes whose outcome is
unknown (the FreeSora tab's rows), Task History's tasks still worth collecting, and a take as a
line of text (`freesora tasks`, Task History).

The one place that turns the ledger into `GET /freesora/tasks` rows and lines, so that pointing
the inbox at another store changes this file only. Rows hold no key and no image data, and a
caller who is not at the machine reads them as `config.Caller` allows (a video's file name, not
its folder).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import Caller
from ..errors import shortened
from .contract import Entry, Ledger, TakeState, shown_take

MAX_PAGE = 200
FIRST_PAGE, LAST_PAGE = 200, 50_000  # Task History's reads: see `newest_collectable`
PROMPT_EXCERPT_CHARS = 160  # a take's whole summary: its prompt's start | what was sent


async def task_page(
    ledger: Ledger, caller: Caller, *, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """One page of tasks, newest first, with the total so the caller can page on."""
    page = await ledger.entries(limit=limit, offset=offset)
    return {
        "tasks": [task_row(entry, caller) for entry in page],
        "total": await ledger.count(),
        "limit": limit,
        "offset": offset,
    }


def task_row(entry: Entry, caller: Caller) -> dict[str, Any]:
    return {
        "task_id": entry.task_id,
        "take": entry.take_key[:12],
        "model": entry.model,
        "prompt": excerpt(entry.summary or "", PROMPT_EXCERPT_CHARS),
        "status": entry.state.value,
        "created_at": entry.created_at,
        "file": caller.file(entry.file),
        "reason": None if entry.reason is None else caller.told(entry.reason),
        "price": entry.price,  # credits charged at its claim (None: not recorded)
        "started_when_queued": entry.started_when_queued,
    }


def excerpt(text: str, limit: int) -> str:
    """`text` up to `limit` characters, cut after a whole word (with an ellipsis) if longer."""
    return shortened(text, limit)


def page_bounds(limit: object, offset: object) -> tuple[int, int]:
    """`limit`/`offset` query values as ints, or ValueError naming the field and the range."""
    bounds = {}
    for name, raw, default, low, high in (
        ("limit", limit, 50, 1, MAX_PAGE),
        ("offset", offset, 0, 0, 10**9),
    ):
        try:
            value = default if raw in (None, "") else int(str(raw))
        except ValueError:
            # The value is not repeated: it comes from a URL anyone may have written.
            raise ValueError(f"{name} must be a whole number from {low} to {high}") from None
        if not low <= value <= high:
            raise ValueError(f"{name} must be {low} to {high}, got {value}")
        bounds[name] = value
    return bounds["limit"], bounds["offset"]


async def newest_collectable(
    ledger: Ledger, model: str | None, only_unfinished: bool, limit: int
) -> list[Entry]:
    """The first `limit` collectable entries, newest first, read a page at a time: a big
    journal is never listed whole for a few tasks. Pages double in size, so a journal whose
    tasks are nearly all collected is read in a few pages, not thousands."""
    chosen: list[Entry] = []
    offset, size = 0, FIRST_PAGE
    while len(chosen) < limit:
        page = await ledger.entries(limit=size, offset=offset, model=model)
        chosen += await asyncio.to_thread(collectable, page, only_unfinished, limit - len(chosen))
        if len(page) < size:
            break
        offset, size = offset + size, min(size * 2, LAST_PAGE)
    return chosen


def collectable(entries: list[Entry], only_unfinished: bool, limit: int) -> list[Entry]:
    """Entries with a task id; with `only_unfinished`, those not collected yet, counting a
    collected task whose video file is gone (deleted, or saved in an emptied temp folder)."""
    chosen = []
    for entry in entries:
        if entry.task_id is None:
            continue
        if only_unfinished and not _worth_collecting(entry):
            continue
        chosen.append(entry)
        if len(chosen) == limit:
            break
    return chosen


def _worth_collecting(entry: Entry) -> bool:
    if entry.state is TakeState.CREATED:
        return True
    return entry.state is TakeState.SUCCEEDED and not (entry.file and Path(entry.file).is_file())


def format_entry(entry: Entry) -> str:
    """One take as a terminal line (`freesora tasks`, Task History): when, task id, model,
    state, take key, seed, slot, price, whether it started when queued, file or reason."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created_at))
    detail = entry.file or entry.reason or ""
    seed = "" if entry.seed is None else f" seed={entry.seed}"
    slot = f" slot={entry.slot + 1}" if entry.slot else ""
    if entry.price is not None:  # credits charged at its claim (older takes have none)
        slot += f" price={entry.price:g}"
    if entry.state in (TakeState.FAILED, TakeState.CANCELLED) and entry.price:
        slot += " (credits refunded)" if entry.credits_refunded else " (counted as spent)"
    if entry.started_when_queued:
        slot += " (started when queued)"
    task = entry.task_id or "-"
    take = entry.take_key.split(":", 1)[-1][:12]
    line = f"{when}  {task:<34} {entry.model:<28} {entry.state.value:<10} take={take}{seed}{slot}"
    return f"{line} {detail}".rstrip()


# --- takes whose create outcome is unknown: what the FreeSora tab asks a person about ---------

UNKNOWN_LISTED = 100  # a person decides takes one at a time: the newest are enough to show
_SECONDS = re.compile(r"^(\d+(?:\.\d+)?) s$")


async def unknown_takes(ledger: Ledger) -> list[Entry]:
    """Every take waiting for a person (its create was sent and its answer lost), newest
    first, read a page at a time among the unfinished takes."""
    found: list[Entry] = []
    offset = 0
    while True:
        page = await ledger.entries(limit=MAX_PAGE, offset=offset, only_unfinished=True)
        found += [entry for entry in page if entry.state is TakeState.UNKNOWN]
        if len(page) < MAX_PAGE:
            return found
        offset += MAX_PAGE


def sent_parts(summary: str) -> tuple[str | None, str, dict[str, str]]:
    """A take's summary (`create.submit`'s: "start of the prompt | model, aspect ratio, N s,
    size; notes") read back: the prompt's start, what was sent, and its clip length and size
    when the summary names them. The fallback for takes recorded before the ledger kept
    their request (`Entry.request`)."""
    start, _, sent = summary.rpartition(" | ")
    fields = [part.strip() for part in sent.split(";", 1)[0].split(",")]
    named: dict[str, str] = {}
    for part in fields[1:]:
        if match := _SECONDS.match(part):
            named["nFrames"] = match.group(1)
        elif part in ("standard", "high"):
            named["size"] = part
    return start or None, sent, named


def unknown_row(
    entry: Entry, caller: Caller, new_price: Callable[[dict[str, str]], float | None]
) -> dict[str, Any]:
    """One unknown take as the tab shows it; `new_price(body)`: what a new create of a body
    (model, nFrames, size) would be charged, None when it cannot be priced."""
    prompt, sent, named = sent_parts(entry.summary or "")
    kept = entry.request or {}
    if kept:
        prompt = kept.get("prompt")
        named = {"nFrames": f"{kept['seconds']:g}"} if "seconds" in kept else {}
        named.update({"size": kept["size"]} if "size" in kept else {})
    seconds = float(named["nFrames"]) if "nFrames" in named else None
    price = new_price({"model": entry.model, **named}) if seconds is not None else None
    return {
        "take": shown_take(entry.take_key),
        "model": entry.model,
        "prompt": prompt,
        "shots": kept.get("shots"),  # a storyboard's: [{"seconds", "prompt"}, ...]
        "seconds": None if seconds is None else int(seconds) if seconds.is_integer() else seconds,
        "aspect_ratio": kept.get("aspect_ratio"),
        "size": named.get("size"),
        # Whether an image went with it (never the image); None: not kept (an older take).
        "image": kept.get("image", False) if kept else None,
        "seed": entry.seed,
        "slot": entry.slot + 1,
        "sent": sent,
        "sent_at": entry.created_at,
        "price": entry.price,
        "new_create_price": price if price is not None else entry.price,
        "reason": None if entry.reason is None else caller.told(entry.reason),
        "started_when_queued": entry.started_when_queued,
    }
