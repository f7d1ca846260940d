"""The create step every creation node shares: checks, the facade's create, text on the node."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from comfy_api.latest import io, ui

from ..errors import shown_value
from ..schemas.models import SEED_MAX, batch_size_problem
from .comfy_folders import journal_path
from .progress import show_text
from .widgets import RERUN_NOTE

if TYPE_CHECKING:
    from ..create.plan import NodeTakes, PlannedTask
    from ..create.submit import Submitted

# The pure layer (pydantic models, aiohttp client, Pillow) is imported inside the functions:
# ComfyUI imports every pack at start-up, and this keeps ours to a few milliseconds.


def combo_problem(node: type[io.ComfyNode], values: dict[str, Any]) -> str | None:
    """A combo value that is not one of the node's options, or None.

    ComfyUI 0.3.64 does not check V3 combo values, and the schemas would quietly snap an
    unknown clip length to an allowed one: on a node, only the offered choices are valid.
    """
    for spec in node.define_schema().inputs or []:
        options = [str(option) for option in getattr(spec, "options", None) or []]
        value = values.get(spec.id)
        # Compared as text: a hand-written API workflow may say 10 where the combo says "10".
        if options and value is not None and str(value) not in options:
            return f"{spec.id} must be one of {', '.join(options)}; got {shown_value(value)}"
    return None


def require_choices(node: type[io.ComfyNode], values: dict[str, Any]) -> None:
    """`combo_problem` at run time: refuse before anything is encoded or sent."""
    from ..errors import InvalidRequestError

    problem = combo_problem(node, values)
    if problem:
        raise InvalidRequestError(problem, field=problem.split(" ", 1)[0])


def queue_time_check(
    seed: Any = None, profile: Any = None, batch_size: Any = None, **widgets: Any
) -> bool | str:
    """`validate_inputs` result: True, or the first problem naming the widget.

    ComfyUI skips its own min/max checks for inputs that `validate_inputs` receives, and does not
    check combo values at all, so everything is checked here.
    """
    from ..create.plan import check_widgets

    if seed is not None and not 0 <= int(seed) <= SEED_MAX:
        return f"seed must be 0 to {SEED_MAX}, got {seed}"
    problem = batch_size_problem(batch_size)
    if problem:
        return problem
    if profile:
        from ..config import profile_problem

        problem = profile_problem(str(profile))
        if problem:
            return problem
    problem = check_widgets(**widgets)
    return True if problem is None else problem


async def create_planned(
    node: type[io.ComfyNode], run: NodeTakes, *, as_list: bool = False
) -> io.NodeOutput:
    """Create (or reuse, per the ledger) the planned tasks; the node's output and face text.

    Credits are spent here, and only for tasks the journal does not already hold for the same
    request and seed. The seed is never sent: with the request it identifies a take. The
    output is the task id, or with `as_list` the ids in input order (one downstream run each).
    """
    from ..facade import FreeSora

    planned, seed = run.planned, run.seed
    count = len(planned)
    lines: list[str] = [""] * count

    def submitted(index: int, result: Submitted) -> None:
        prefix = f"{index + 1}/{count}: " if count > 1 else ""
        lines[index] = prefix + result.describe()
        show_text(node, "\n".join(line for line in lines if line))

    # A missing key, a bad price table, an unreachable or unwritable ledger: nothing is sent.
    async with FreeSora.open(run.profile, default_journal=journal_path) as fs:
        show_text(
            node, f"creating {count} task{'s' if count != 1 else ''}: {planned[0].describe()}"
        )
        async with _said_on(node):
            results = await fs.create(
                planned,
                seed=seed,
                on_submitted=submitted,
                on_wait=lambda message: show_text(node, message),
                keep_refused=as_list,  # a batch keeps the takes its budget allowed
            )
    text = created_text(results, planned)
    # The frontend shows progress text on the node, not a V3 node's PreviewText: say it here.
    show_text(node, text)
    task_ids = [result.output for result in results]
    return io.NodeOutput(task_ids if as_list else task_ids[0], ui=ui.PreviewText(text))


@contextlib.asynccontextmanager
async def _said_on(node: type[io.ComfyNode]) -> AsyncIterator[None]:
    """A refusal (the daily budget, the service) stays on the node's face too, not only in
    ComfyUI's error dialog."""
    from ..errors import FreeSoraError

    try:
        yield
    except FreeSoraError as exc:
        show_text(node, str(exc))
        raise


def created_text(results: Sequence[Submitted], planned: Sequence[PlannedTask]) -> str:
    """What stays on the node after the run: each task id and what was sent for it.

    Takes of one request (`batch_size`) say the request once, then one line per take.
    """
    if len(planned) > 1 and all(task is planned[0] for task in planned):
        lines = [f"{len(planned)} takes of: {planned[0].describe()}"]
        lines += [f"take {i}: {result.describe()}" for i, result in enumerate(results, start=1)]
        return "\n".join([*lines, RERUN_NOTE])
    lines = [
        f"{result.describe()}\n  {task.describe()}"
        for result, task in zip(results, planned, strict=True)
    ]
    return "\n".join([*lines, RERUN_NOTE])
