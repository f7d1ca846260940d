"""FreeSoraStoryboard: a shot list (or chained Shot Builders) becomes one Sora 2 Pro storyboard
task."""

from __future__ import annotations

from typing import Any

from comfy_api.latest import io

from ..schemas.models import (
    MAX_SHOT_S,
    MAX_SHOTS,
    MIN_SHOT_S,
    MIN_SHOTS,
    SEED_DEFAULT,
    ModelKind,
    VideoModel,
)
from ..schemas.shots import SHOT_LIST_EXAMPLE, SHOT_LIST_FORM
from . import widgets as w
from .creating import (
    combo_problem,
    create_planned,
    queue_time_check,
    require_choices,
)
from .search_aliases import search_aliases


def shot_list_input() -> io.String.Input:
    # Optional and last: saved workflows keep their positional widget values, and API-format
    # prompts written before it still queue.
    return io.String.Input(
        "shot_list",
        multiline=True,
        default="",
        optional=True,
        placeholder=f"{SHOT_LIST_FORM}, one shot a line, e.g.\n{SHOT_LIST_EXAMPLE}\n"
        "4.5 | Close-up of a runner splashing through puddles",
        tooltip=f"The shots, one a line: {SHOT_LIST_FORM} (e.g. {SHOT_LIST_EXAMPLE}). "
        f"Seconds {MIN_SHOT_S:g} to {MAX_SHOT_S:g} in tenths; {MIN_SHOTS} to {MAX_SHOTS} shots "
        "that together fit n_frames; blank lines are skipped. The timeline below shows them "
        "against the clip length: drag a boundary to move time between two shots. Leave it "
        "empty when Shot Builders are connected to shots.",
    )


class FreeSoraStoryboard(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="FreeSoraStoryboard",
            display_name="Sora 2 Storyboard",
            category="FreeSora",
            **search_aliases("storyboard", "multi-shot", "sora 2 pro", "分镜", "故事板"),
            description="Create one sora-2-pro-storyboard task (spends credits) from the shots "
            f"written in shot_list, one a line as {SHOT_LIST_FORM}, or from chained Shot "
            "Builders connected to shots. A storyboard takes no prompt (the service never "
            "passes one upstream): each shot's scene says what happens. The shots must fit "
            "n_frames: when they add up to more, it is refused before anything is sent, naming "
            "the lengths that hold them (a longer clip costs more credits).",
            inputs=[
                w.SHOTS.Input(
                    "shots",
                    optional=True,
                    tooltip="Shots from the last of chained Shot Builders, instead of "
                    "shot_list (leave shot_list empty).",
                ),
                w.aspect_ratio_input(),
                w.n_frames_input(ModelKind.STORYBOARD),
                w.is_public_input(),
                w.seed_input(),
                w.profile_input(),
                w.batch_size_input(),
                shot_list_input(),
            ],
            # A list (one Video Result and SaveVideo run per take); still a STRING output, so
            # saved links to STRING inputs stay valid.
            outputs=[w.task_id_output(is_list=True)],
            hidden=[io.Hidden.unique_id],
        )

    @classmethod
    async def validate_inputs(cls, **inputs: Any) -> bool | str:
        from .queue_start import queued_budget_problem

        problem = cls.widget_problem(**inputs)
        if problem is not True:
            return problem
        # Takes that start when the prompt is queued must fit the daily budget first.
        return await queued_budget_problem(getattr(cls.hidden, "unique_id", None)) or True

    @classmethod
    def widget_problem(cls, **inputs: Any) -> bool | str:
        from ..create.plan import queued_shots
        from ..errors import InvalidRequestError

        # ComfyUI hands a linked input over as None, and one left unconnected not at all.
        linked = "shots" in inputs
        shot_list = inputs.pop("shot_list", "")
        model = VideoModel.PRO_STORYBOARD.value
        unknown = combo_problem(cls, inputs)
        if unknown:
            return unknown
        try:
            inputs["shots"] = queued_shots(linked=linked, shot_list=shot_list)
        except InvalidRequestError as exc:
            return str(exc)
        problem = queue_time_check(model=model, **inputs)
        if problem is not True or not linked:
            return problem
        # Linked shots: their Shot Builders' durations, read from the prompt.
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
        shots: list[dict[str, Any]] | None = None,
        shot_list: str = "",
        seed: int = SEED_DEFAULT,
        profile: str = "",
        batch_size: int = 1,
        **widgets: Any,
    ) -> io.NodeOutput:
        from ..create.plan import storyboard_takes

        require_choices(cls, widgets)
        planned = storyboard_takes(
            shots, shot_list, seed=seed, profile=profile, batch_size=batch_size, **widgets
        )
        return await create_planned(cls, planned, as_list=True)
