"""FreeSoraTextToVideo: a prompt becomes a Sora 2 task; outputs its task id."""

from __future__ import annotations

from typing import Any

from comfy_api.latest import io

from ..schemas.models import SEED_DEFAULT, ModelKind
from . import widgets as w
from .creating import (
    combo_problem,
    create_planned,
    queue_time_check,
    require_choices,
)
from .search_aliases import search_aliases


class FreeSoraTextToVideo(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="FreeSoraTextToVideo",
            display_name="Sora 2 Text to Video",
            category="FreeSora",
            **search_aliases("text to video", "t2v", "video generation", "文生视频", "视频生成"),
            description="Create a Sora 2 video task from a prompt (spends credits) and output "
            "its task id. Connect Sora 2 Video Result to get the video.",
            inputs=[
                w.model_input(ModelKind.TEXT),
                w.prompt_input(),
                w.aspect_ratio_input(),
                w.n_frames_input(ModelKind.TEXT),
                w.size_input(),
                w.remove_watermark_input(),
                w.is_public_input(),
                w.seed_input(),
                w.profile_input(),
                w.batch_size_input(),
            ],
            # A list (one Video Result and SaveVideo run per take); still a STRING output, so
            # saved links to STRING inputs stay valid.
            outputs=[w.task_id_output(is_list=True)],
            hidden=[io.Hidden.unique_id],
        )

    @classmethod
    async def validate_inputs(cls, **inputs: Any) -> bool | str:
        from .queue_start import queued_budget_problem

        problem = combo_problem(cls, inputs) or queue_time_check(**inputs)
        if problem is not True:
            return problem
        # Takes that start when the prompt is queued must fit the daily budget first.
        return await queued_budget_problem(getattr(cls.hidden, "unique_id", None)) or True

    @classmethod
    async def execute(
        cls, seed: int = SEED_DEFAULT, profile: str = "", batch_size: int = 1, **widgets: Any
    ) -> io.NodeOutput:
        from ..create.plan import text_to_video_takes

        require_choices(cls, widgets)
        planned = text_to_video_takes(seed=seed, profile=profile, batch_size=batch_size, **widgets)
        return await create_planned(cls, planned, as_list=True)
