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
            "upstream): each shot's scene says what happens. The shots must fit n_frames: "
            "when they add up to more, it is refused before anything is sent, naming the "
            "lengths that hold them (a longer clip costs more credits).",
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
        model = VideoModel.PRO_STORYBOARD.value
        problem = combo_problem(cls, inputs) or queue_time_check(model=model, **inputs)
        if problem is not True or inputs["shots"] is not None:
            return problem
        # Linked shots (None here): their Shot Builders' durations, read from the prompt.
        from ..create.plan import length_problem
        from .prompt_check import linked_shots_total

        node_id = getattr(getattr(cls, "hidden", None), "unique_id", None)
        total = linked_shots_total(node_id, inputs.get("n_frames"))
        return (
            True if total is None else length_problem(model, inputs.get("n_frames"), total) or True
        )

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
