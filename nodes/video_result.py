"""FreeSoraVideoResult: task ids become native VIDEOs (waits, downloads, hands them on).

Takes its inputs as lists (`is_input_list`): one run waits for every task of a batch at once,
so it can name every failure (`on_error` raise) or leave failed ones out (`skip`): a failed
task's video is an `ExecutionBlocker(None)`, which makes ComfyUI skip only that item of the
SaveVideo downstream (checked in 0.3.64 and 0.28.2 `execution.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comfy_api.latest import InputImpl, io, ui

from ..errors import WaitCancelledError, shown_value
from ..schemas.models import WAIT_TIMEOUT_DEFAULT_S, WAIT_TIMEOUT_MAX_S, WAIT_TIMEOUT_MIN_S
from .comfy_folders import VIDEO_SUBFOLDER, download_dir, journal_path
from .progress import interrupt_error, interrupted, progress_bar, show_text
from .search_aliases import search_aliases
from .widgets import profile_input

if TYPE_CHECKING:
    from ..collect import Collected

ON_ERROR = ("raise", "skip")


def _items(value: Any) -> list[Any]:
    """An input as a list (is_input_list hands lists; a linked input is None at queue time)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _at(values: Sequence[Any], index: int, default: Any) -> Any:
    # ComfyUI's own rule for lists of unequal length: the last value repeats.
    return values[min(index, len(values) - 1)] if values else default


def _face(summary: str, paths: Sequence[Path]) -> dict[str, Any]:
    """The text, and the clips themselves where the core can preview videos on a node."""
    shown = dict(ui.PreviewText(summary).as_dict())
    if paths and hasattr(ui, "PreviewVideo") and hasattr(ui, "SavedResult"):
        saved = [ui.SavedResult(path.name, VIDEO_SUBFOLDER, io.FolderType.output) for path in paths]
        shown.update(ui.PreviewVideo(saved).as_dict())
    return shown


class FreeSoraVideoResult(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="FreeSoraVideoResult",
            display_name="Sora 2 Video Result",
            category="FreeSora",
            **search_aliases(
                "video result", "download video", "wait for task", "视频结果", "下载视频"
            ),
            description="Wait for a task and output its video. Connect a creation node's task_id, "
            "or paste a task id from earlier (another session, the freesora command). Spends "
            "no credits. A list of task ids is awaited concurrently; on_error says what a "
            "failed task does to the others.",
            is_input_list=True,
            inputs=[
                io.String.Input(
                    "task_id",
                    default="",
                    tooltip="The task to collect: link it from a creation node or paste an id.",
                ),
                io.Int.Input(
                    "timeout_s",
                    default=WAIT_TIMEOUT_DEFAULT_S,
                    min=WAIT_TIMEOUT_MIN_S,
                    max=WAIT_TIMEOUT_MAX_S,
                    step=30,
                    tooltip="How long to wait before giving up (the task goes on; paste its id "
                    "here later). Sora 2 Pro clips often take 5-15 minutes.",
                ),
                io.Float.Input(
                    "poll_interval_s",
                    default=0.0,
                    min=0.0,
                    max=120.0,
                    step=0.5,
                    optional=True,
                    tooltip="Seconds between status checks. 0 = adaptive (3 s at first, then "
                    "8 s, then 15 s), as the provider advises.",
                ),
                profile_input(),
                # Optional and last: workflows saved before it keep their widget values.
                io.Combo.Input(
                    "on_error",
                    options=list(ON_ERROR),
                    default=ON_ERROR[0],
                    optional=True,
                    tooltip="raise: a task that fails fails the run, naming every failed task. "
                    "skip: failed tasks give no video, the others are saved; status says why.",
                ),
            ],
            outputs=[
                io.Video.Output(id="video", display_name="video", is_output_list=True),
                io.String.Output(id="video_url", display_name="video_url", is_output_list=True),
                io.String.Output(
                    id="status",
                    display_name="status",
                    is_output_list=True,
                    tooltip="succeeded, or for a failed task (on_error skip) its id, the reason "
                    "and whether the credits were refunded.",
                ),
            ],
            hidden=[io.Hidden.unique_id],
        )

    @classmethod
    def validate_inputs(
        cls,
        task_id: Any = None,
        timeout_s: Any = None,
        profile: Any = None,
        on_error: Any = None,
    ) -> bool | str:
        for value in _items(timeout_s):
            if not WAIT_TIMEOUT_MIN_S <= int(value) <= WAIT_TIMEOUT_MAX_S:
                return (
                    f"timeout_s must be {WAIT_TIMEOUT_MIN_S} to {WAIT_TIMEOUT_MAX_S}, got {value}"
                )
        for value in _items(on_error):
            if value not in ON_ERROR:
                return f"on_error must be one of {', '.join(ON_ERROR)}; got {shown_value(value)}"
        for value in _items(profile):
            problem = _profile_problem(value)
            if problem:
                return problem
        from ..schemas.task_id import clean_task_id

        for value in _items(task_id):  # empty when linked: known only when the graph runs
            try:
                clean_task_id(str(value))
            except ValueError as exc:
                return str(exc)
        return True

    @classmethod
    async def execute(
        cls,
        task_id: list[str],
        timeout_s: list[int],
        poll_interval_s: list[float] | None = None,
        profile: list[str] | None = None,
        on_error: list[str] | None = None,
    ) -> io.NodeOutput:
        # Imported here, not at module level: keeps the pack's start-up cost to milliseconds.
        from ..collect import failures_error
        from ..create import NOT_CREATED
        from ..errors import FreeSoraError
        from ..facade import FreeSora
        from ..schemas.task_id import clean_task_id

        # A take its daily budget refused has no task: that item fails, the others are collected.
        given = [str(value) for value in _items(task_id)]
        refused = {i: v for i, v in enumerate(given) if v.startswith(NOT_CREATED)}
        task_ids = [v if i in refused else clean_task_id(v) for i, v in enumerate(given)]
        mode = _one_value(on_error, "on_error", ON_ERROR[0])
        if mode not in ON_ERROR:
            raise _invalid(
                "on_error", f"must be one of {', '.join(ON_ERROR)}; got {shown_value(mode)}"
            )
        chosen = str(_one_value(profile, "profile", "") or "").strip() or None
        timeouts, intervals = _items(timeout_s), _items(poll_interval_s)
        face = _Face(cls, task_ids)

        def options_for(index: int) -> dict[str, Any]:
            return {
                "timeout_s": float(_at(timeouts, index, WAIT_TIMEOUT_DEFAULT_S)),
                "interval_s": _at(intervals, index, 0.0) or None,
                "on_progress": face.progress_of(index),
                "should_cancel": interrupted,
            }

        wanted = [i for i in range(len(task_ids)) if i not in refused]
        async with FreeSora.open(chosen, default_journal=journal_path) as fs:
            try:
                collected = await fs.collect_all(
                    [task_ids[i] for i in wanted],
                    download_dir(),
                    options_for=lambda at: options_for(wanted[at]),
                )
            except WaitCancelledError:
                raise interrupt_error() from None
        results = _merged(len(task_ids), wanted, collected, refused)
        failed = [r for r in results if isinstance(r, FreeSoraError)]
        if failed and mode == "raise":
            face.finish(results)
            raise failures_error(task_ids, results)
        return _outputs(task_ids, results, face.finish(results))


def _merged(
    count: int, wanted: list[int], collected: list[Collected], refused: dict[int, str]
) -> list[Collected]:
    """The collected results and the refused takes' failures, in the input's order."""
    from ..errors import BudgetExceededError

    results: list[Collected] = [
        BudgetExceededError(text, budget=0, spent=0, price=0) for text in refused.values()
    ]
    by_index = dict(zip(refused, results, strict=True))
    by_index.update(zip(wanted, collected, strict=True))
    return [by_index[i] for i in range(count)]


def _one_value(values: Any, name: str, default: Any) -> Any:
    """The single value of a setting for the whole run (one wait, one account, one rule)."""
    distinct = list(dict.fromkeys(_items(values)))
    if len(distinct) > 1:
        raise _invalid(name, f"must be one value for all the tasks of a run; got {distinct}")
    return distinct[0] if distinct else default


def _invalid(name: str, problem: str) -> Exception:
    from ..errors import InvalidRequestError

    return InvalidRequestError(f"{name} {problem}", field=name)


def _profile_problem(value: Any) -> str | None:
    if not value:
        return None
    from ..config import profile_problem

    return profile_problem(str(value))


def _outputs(task_ids: list[str], results: list[Collected], summary: str) -> io.NodeOutput:
    """Lists, one item per task; a failed task's video and URL block only their own item."""
    from comfy_execution.graph_utils import ExecutionBlocker  # type: ignore[import-not-found]

    from ..collect import failure_line

    videos: list[Any] = []
    urls: list[Any] = []
    statuses: list[str] = []
    saved: list[Path] = []
    for task, result in zip(task_ids, results, strict=True):
        if isinstance(result, Exception):
            videos.append(ExecutionBlocker(None))  # None: silently, no error event
            urls.append(ExecutionBlocker(None))
            statuses.append("failed: " + failure_line(task, result))
        else:
            videos.append(InputImpl.VideoFromFile(str(result.path)))
            saved.append(result.path)
            urls.append(result.url)
            statuses.append(result.status.state.value)
    return io.NodeOutput(videos, urls, statuses, ui=_face(summary, saved))


class _Face:
    """The node's bar (the mean progress of its tasks) and its text (one line per task)."""

    def __init__(self, node: type[io.ComfyNode], task_ids: list[str]) -> None:
        self._node = node
        self._task_ids = task_ids
        self._bar = progress_bar(100)
        self._progress = [0.0] * len(task_ids)
        from ..create import NOT_CREATED

        self._lines = [t if t.startswith(NOT_CREATED) else f"task {t}: waiting" for t in task_ids]

    def progress_of(self, index: int) -> Any:
        from ..collect import status_text

        def on_progress(status: Any, elapsed_s: float) -> None:
            if interrupted():  # before the bar: its own check clears the flag for the others
                raise interrupt_error()
            self._progress[index] = float(status.progress or 0)
            self._bar.update_absolute(int(sum(self._progress) / len(self._progress)))
            self._lines[index] = f"task {self._task_ids[index]}: {status_text(status, elapsed_s)}"
            show_text(self._node, "\n".join(self._lines))

        return on_progress

    def finish(self, results: list[Collected]) -> str:
        from ..collect import failure_line

        lines = []
        for task, result in zip(self._task_ids, results, strict=True):
            if isinstance(result, Exception):
                lines.append("failed: " + failure_line(task, result))
            else:
                size_kb = result.path.stat().st_size / 1024
                lines.append(f"task {task}: succeeded, video of {size_kb:,.0f} KB")
        self._bar.update_absolute(100)
        summary = "\n".join(lines)
        show_text(self._node, summary)
        return summary
