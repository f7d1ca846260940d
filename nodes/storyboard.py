"""FreeSoraStoryboard: chained shots become one Sora 2 Pro storyboard task."""

from __future__ import annotations

from typing import Any

from comfy_api.latest import io

from ..schemas.models import SEED_DEFAULT, ModelKind, VideoModel
from . import widgets as w
from .creating import (
    combo_problem,
    create_planned,
    queue_time_check,
    require_choices,
    takes,
)


class FreeSoraStoryboard(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="FreeSoraStoryboard",
            display_name="Sora 2 Storyboard",
            category="FreeSora",
            description="Create one sora-2-pro-storyboard task from chained Shot Builders "
            "(spends credits). A storyboard takes no prompt (the service never passes one "
            "upstream): each shot's scene says what happens. When the shots add up to more than "
            "n_frames, the next longer length that holds them is sent (shown on the node); "
            "more than 25 s is refused before anything is sent.",
            inputs=[
                w.SHOTS.Input("shots", tooltip="The shot list from the last Shot Builder."),
                w.aspect_ratio_input(),
                w.n_frames_input(ModelKind.STORYBOARD),
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
    def validate_inputs(cls, **inputs: Any) -> bool | str:
        inputs.setdefault("shots", None)
        problem = combo_problem(cls, inputs)
        return problem or queue_time_check(model=VideoModel.PRO_STORYBOARD.value, **inputs)

    @classmethod
    async def execute(
        cls,
        shots: list[dict[str, Any]],
        seed: int = SEED_DEFAULT,
        profile: str = "",
        batch_size: int = 1,
        **widgets: Any,
    ) -> io.NodeOutput:
        from ..create.plan import PlannedTask
        from ..schemas import request_from_widgets

        require_choices(cls, widgets)
        request = request_from_widgets(
            model=VideoModel.PRO_STORYBOARD.value, shots=shots, **widgets
        )
        planned = takes(PlannedTask(request), batch_size)
        return await create_planned(cls, planned, seed=seed, profile=profile, as_list=True)
