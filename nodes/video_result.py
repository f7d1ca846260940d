"""FreeSoraVideoResult: a task id becomes a native VIDEO (waits, downloads, hands it on)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comfy_api.latest import InputImpl, io, ui

from ..errors import WaitCancelledError
from ..schemas.models import WAIT_TIMEOUT_DEFAULT_S, WAIT_TIMEOUT_MAX_S, WAIT_TIMEOUT_MIN_S
from .hooks import interrupt_error, interrupted, journal_path, progress_bar, show_text
from .widgets import profile_input

SUBFOLDER = "freesora"


def _download_dir() -> Path:
    """ComfyUI's output folder: its temp folder is emptied at every start, and a paid video
    must outlive that."""
    import folder_paths

    return Path(folder_paths.get_output_directory()) / SUBFOLDER


def _face(summary: str, path: Path) -> dict[str, Any]:
    """The text, and the clip itself where the core can preview a video on a node."""
    shown = dict(ui.PreviewText(summary).as_dict())
    if hasattr(ui, "PreviewVideo") and hasattr(ui, "SavedResult"):
        saved = ui.SavedResult(path.name, SUBFOLDER, io.FolderType.output)
        shown.update(ui.PreviewVideo([saved]).as_dict())
    return shown


class FreeSoraVideoResult(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="FreeSoraVideoResult",
            display_name="Sora 2 Video Result",
            category="FreeSora",
            description="Wait for a task and output its video. Connect a creation node's task_id, "
            "or paste a task id from earlier (another session, the freesora command). Spends "
            "no credits. A list of task ids is awaited concurrently.",
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
            ],
            outputs=[
                io.Video.Output(id="video", display_name="video"),
                io.String.Output(id="video_url", display_name="video_url"),
                io.String.Output(id="status", display_name="status"),
            ],
            hidden=[io.Hidden.unique_id],
        )

    @classmethod
    def validate_inputs(
        cls, task_id: Any = None, timeout_s: Any = None, profile: Any = None
    ) -> bool | str:
        if timeout_s is not None and not WAIT_TIMEOUT_MIN_S <= int(timeout_s) <= WAIT_TIMEOUT_MAX_S:
            return (
                f"timeout_s must be {WAIT_TIMEOUT_MIN_S} to {WAIT_TIMEOUT_MAX_S}, got {timeout_s}"
            )
        if profile:
            from ..config import profile_problem

            problem = profile_problem(str(profile))
            if problem:
                return problem
        if task_id is None:  # linked: known only when the graph runs
            return True
        from ..collect import clean_task_id

        try:
            clean_task_id(str(task_id))
        except ValueError as exc:
            return str(exc)
        return True

    @classmethod
    async def execute(
        cls, task_id: str, timeout_s: int, poll_interval_s: float = 0.0, profile: str = ""
    ) -> io.NodeOutput:
        # Imported here, not at module level: keeps the pack's start-up cost to milliseconds.
        from ..collect import clean_task_id, collect_video, status_text
        from ..config import load_settings
        from ..ledger.file_store import open_ledger
        from ..schemas import TaskStatus
        from ..service.client import FreeSoraClient, open_session

        task_id = clean_task_id(task_id)
        settings = load_settings(profile.strip() or None)
        settings.require_key()
        bar = progress_bar(100)

        def on_progress(status: TaskStatus, elapsed_s: float) -> None:
            if interrupted():  # before the bar: its own check clears the flag for the others
                raise interrupt_error()
            bar.update_absolute(int(status.progress or 0))
            show_text(cls, f"task {task_id}: {status_text(status, elapsed_s)}")

        async with open_session(settings) as session:
            try:
                result = await collect_video(
                    FreeSoraClient(session, settings),
                    task_id,
                    _download_dir(),
                    timeout_s=float(timeout_s),
                    interval_s=poll_interval_s or None,
                    on_progress=on_progress,
                    should_cancel=interrupted,
                    ledger=open_ledger(journal_path()),
                )
            except WaitCancelledError:
                raise interrupt_error() from None
        bar.update_absolute(100)
        size_kb = result.path.stat().st_size / 1024
        summary = f"task {task_id}: succeeded, video of {size_kb:,.0f} KB"
        show_text(cls, summary)
        return io.NodeOutput(
            InputImpl.VideoFromFile(str(result.path)),
            result.url,
            result.status.state.value,
            ui=_face(summary, result.path),
        )
