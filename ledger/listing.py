"""The task list the frontend's inbox shows: ledger records as JSON rows, newest first, paged.

The one place that turns the ledger into `GET /freesora/tasks` rows, so that pointing the inbox
at another store changes this file only. Rows hold no key and no image data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .journal import Journal, TaskRecord, select

MAX_PAGE = 200
PROMPT_EXCERPT_CHARS = 80


def task_page(journal_file: Path, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """One page of tasks, newest first, with the total so the caller can page on."""
    rows = select(Journal(journal_file).records())
    page = rows[offset : offset + limit]
    return {
        "tasks": [task_row(record) for record in page],
        "total": len(rows),
        "limit": limit,
        "offset": offset,
    }


def task_row(record: TaskRecord) -> dict[str, Any]:
    summary = str(getattr(record, "summary", "") or "")
    return {
        "task_id": record.task_id,
        "model": record.model,
        "prompt": summary[:PROMPT_EXCERPT_CHARS],
        "status": record.status,
        "created_at": record.created_at,
        "file": record.file,
        "reason": record.reason,
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
