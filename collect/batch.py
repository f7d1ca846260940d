"""A batch of tasks collected at once, and the one error that names every task that gave none.

The result node waits for every task of a run together (`collect_videos`); a task that fails does
not stop the others. What the node or the command then says of the failures is worded here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FreeSoraError, TasksFailedError, WaitCancelledError
from .video import VideoResult, collect_video

if TYPE_CHECKING:
    from ..service.client import FreeSoraClient

Collected = VideoResult | FreeSoraError


async def collect_videos(
    client: FreeSoraClient,
    task_ids: Sequence[str],
    out_dir: Path,
    *,
    options_for: Callable[[int], dict[str, Any]],
    **common: Any,
) -> list[Collected]:
    """Every task collected at once; each a `VideoResult` or the error that ended it, in order.

    `options_for(i)` gives task i's own options and `common` those of all (`collect_video`'s,
    e.g. where to record the ends). A task that fails, times out or cannot be downloaded does
    not stop the others; a cancelled wait (the user's Cancel) or anything unforeseen stops them
    all and is raised.
    """

    async def one(index: int) -> Collected:
        try:
            return await collect_video(
                client, task_ids[index], out_dir, **common, **options_for(index)
            )
        except WaitCancelledError:
            raise
        except FreeSoraError as exc:
            return exc

    waits = [asyncio.ensure_future(one(index)) for index in range(len(task_ids))]
    try:
        return list(await asyncio.gather(*waits))
    finally:
        for wait in waits:  # after an interruption the other waits must not go on
            wait.cancel()


def failures_error(task_ids: Sequence[str], results: Sequence[Collected]) -> FreeSoraError:
    """The error that names every task of the batch that gave no video, and why."""
    failed = [r for r in results if isinstance(r, FreeSoraError)]
    if len(task_ids) == 1:
        return failed[0]
    lines = "\n".join(
        f"- {failure_line(t, r)}" for t, r in zip(task_ids, results, strict=True) if r in failed
    )
    made = len(results) - len(failed)
    return TasksFailedError(
        f"{len(failed)} of {len(task_ids)} tasks gave no video:\n{lines}\n"
        f"The other {made} were downloaded. Set on_error to skip to save them and go on.",
        failures=failed,
    )


def failure_line(task_id: str, error: FreeSoraError) -> str:
    """The error, naming its task (most messages already do)."""
    text = str(error)
    return text if task_id in text else f"task {task_id}: {text}"
