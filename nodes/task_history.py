"""FreeSoraTaskHistory: journaled task ids as a list, to collect many tasks later."""

from __future__ import annotations

import time
from typing import Any

from comfy_api.latest import io, ui

from ..errors import shown_value
from ..schemas.models import VideoModel
from .comfy_folders import journal_path
from .search_aliases import search_aliases

ANY_MODEL = "any"


class FreeSoraTaskHistory(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="FreeSoraTaskHistory",
            display_name="Sora 2 Task History",
            category="FreeSora",
            **search_aliases("task history", "task list", "collect videos", "任务历史"),
            description="Task ids from the pack's task journal, newest first, as a list: connect "
            "Video Result to collect them all (it runs once per task). Spends no credits.",
            inputs=[
                io.Int.Input(
                    "limit",
                    default=10,
                    min=1,
                    max=500,
                    tooltip="At most this many tasks, the most recent first.",
                ),
                io.Boolean.Input(
                    "only_unfinished",
                    default=True,
                    tooltip="Only tasks whose video has not been collected yet (and that did not "
                    "fail), e.g. after queueing many create-only prompts.",
                ),
                io.Combo.Input(
                    "model",
                    options=[ANY_MODEL] + [m.value for m in VideoModel],
                    default=ANY_MODEL,
                    tooltip="Only tasks of this model.",
                ),
            ],
            outputs=[
                io.String.Output(
                    id="task_ids",
                    display_name="task_ids",
                    is_output_list=True,
                    tooltip="One task id per item; nodes after this run once per task.",
                )
            ],
        )

    @classmethod
    def fingerprint_inputs(cls, **inputs: Any) -> Any:
        # The journal changes between runs: run again whenever it did.
        from ..errors import FreeSoraError
        from ..facade import FreeSora

        try:
            location = FreeSora.journal_location(None, journal_path)
        except FreeSoraError:
            return "no ledger"
        if isinstance(location, str):
            return time.time()  # a farm's database: other workers change it at any time
        try:
            info = location.stat()
        except OSError:
            return "no journal"
        return f"{info.st_mtime_ns}:{info.st_size}"

    @classmethod
    def validate_inputs(cls, model: Any = None, limit: Any = None) -> bool | str:
        if model is not None and model != ANY_MODEL and model not in {m.value for m in VideoModel}:
            return f"model must be 'any' or a Sora 2 model id, got {shown_value(model)}"
        if limit is not None and not 1 <= int(limit) <= 500:
            return f"limit must be 1 to 500, got {limit}"
        return True

    @classmethod
    async def execute(cls, limit: int, only_unfinished: bool, model: str) -> io.NodeOutput:
        from ..errors import FreeSoraError
        from ..facade import FreeSora
        from ..ledger import format_entry, journal_flags

        chosen_model = None if model == ANY_MODEL else model
        async with FreeSora.open(need_key=False, default_journal=journal_path) as fs:
            chosen = await fs.collectable(
                model=chosen_model, only_unfinished=only_unfinished, limit=limit
            )
            if not chosen:
                total = await fs.count(model=chosen_model)
                listing = f"freesora tasks {journal_flags(fs.ledger, fs.settings.profile)}"
                raise FreeSoraError(
                    f"No task in the journal matches (only_unfinished={only_unfinished}, "
                    f"model={model}): nothing to collect. The journal lists {total} take(s); "
                    f"`{listing}` shows them."
                )
        text = "\n".join(format_entry(entry) for entry in chosen)
        return io.NodeOutput([e.task_id for e in chosen], ui=ui.PreviewText(text))
