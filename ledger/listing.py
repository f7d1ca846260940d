"""The task list the frontend's inbox shows: ledger records as JSON rows, newest first, paged.

The one place that turns the ledger into `GET /freesora/tasks` rows, so that pointing the inbox
at another store changes this file only. Rows hold no key and no image data.
"""

from __future__ import annotations

from typing import Any

from .base import Entry, Ledger

MAX_PAGE = 200
PROMPT_EXCERPT_CHARS = 80


async def task_page(ledger: Ledger, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """One page of tasks, newest first, with the total so the caller can page on."""
    page = await ledger.entries(limit=limit, offset=offset)
    return {
        "tasks": [task_row(entry) for entry in page],
        "total": await ledger.count(),
        "limit": limit,
        "offset": offset,
    }


def task_row(entry: Entry) -> dict[str, Any]:
    return {
        "task_id": entry.task_id,
        "take": entry.take_key[:12],
        "model": entry.model,
        "prompt": (entry.summary or "")[:PROMPT_EXCERPT_CHARS],
        "status": entry.state.value,
        "created_at": entry.created_at,
        "file": entry.file,
        "reason": entry.reason,
    }


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
            raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"{name} must be {low} to {high}, got {value}")
        bounds[name] = value
    return bounds["limit"], bounds["offset"]
