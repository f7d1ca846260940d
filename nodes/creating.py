"""The create step every creation node shares: key check, client, tasks, text on the node."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from comfy_api.latest import io

from .hooks import show_text
from .widgets import SEED_MAX

if TYPE_CHECKING:
    from ..jobs import PlannedTask

# The pure layer (pydantic models, aiohttp client, Pillow) is imported inside the functions:
# ComfyUI imports every pack at start-up, and this keeps ours to a few milliseconds.


def queue_time_check(seed: Any = None, **widgets: Any) -> bool | str:
    """`validate_inputs` result: True, or the first problem naming the widget.

    ComfyUI skips its own min/max checks for inputs that `validate_inputs` receives, and does not
    check combo values at all, so everything is checked here.
    """
    from ..jobs import check_widgets

    if seed is not None and not 0 <= int(seed) <= SEED_MAX:
        return f"seed must be 0 to {SEED_MAX}, got {seed}"
    problem = check_widgets(**widgets)
    return True if problem is None else problem


async def create_planned(node: type[io.ComfyNode], planned: Sequence[PlannedTask]) -> list[str]:
    """Create the planned tasks (credits are spent here) and show their ids on the node."""
    from ..client import FreeSoraClient, open_session
    from ..config import load_settings
    from ..jobs import create_tasks

    settings = load_settings()
    settings.require_key()  # before any request: a missing key costs nothing
    count = len(planned)
    show_text(node, f"creating {count} task{'s' if count != 1 else ''}: {planned[0].describe()}")
    lines: list[str] = [""] * count

    def created(index: int, task_id: str) -> None:
        lines[index] = f"task {index + 1}/{count}: {task_id}" if count > 1 else f"task {task_id}"
        show_text(node, "\n".join(line for line in lines if line))

    async with open_session(settings) as session:
        task_ids = await create_tasks(FreeSoraClient(session, settings), planned, created)
    return task_ids


def created_text(task_ids: Sequence[str], planned: Sequence[PlannedTask]) -> str:
    """What stays on the node after the run: each task id and what was sent for it."""
    return "\n".join(
        f"created task {task_id}\n  {task.describe()}"
        for task_id, task in zip(task_ids, planned, strict=True)
    )
