"""FreeSoraShotBuilder: one storyboard shot, chained onto the shots before it."""

from __future__ import annotations

from typing import Any

from comfy_api.latest import io, ui

from ..errors import InvalidRequestError
from ..schemas.models import MAX_SHOT_S, MIN_SHOT_S
from .progress import show_text
from .search_aliases import search_aliases
from .widgets import SHOTS


class FreeSoraShotBuilder(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="FreeSoraShotBuilder",
            display_name="Sora 2 Shot Builder",
            category="FreeSora",
            **search_aliases("storyboard shot", "shot", "scene", "分镜", "镜头"),
            description="Add one shot to a storyboard. Chain builders (shots -> shots) in order, "
            "then connect the last one to Sora 2 Storyboard (whose shot_list, one shot a line, "
            "does the same on one node; use one or the other). Free: nothing is sent.",
            inputs=[
                io.String.Input(
                    "scene",
                    multiline=True,
                    default="",
                    tooltip="What happens in this shot: subject, action, camera.",
                ),
                io.Float.Input(
                    "duration_s",
                    default=5.0,
                    min=MIN_SHOT_S,
                    max=MAX_SHOT_S,
                    step=0.1,
                    round=0.1,
                    tooltip="How long this shot lasts, 0.1 to 15 seconds. All shots together "
                    "must fit the storyboard's n_frames length.",
                ),
                SHOTS.Input(
                    "shots",
                    optional=True,
                    tooltip="The shots before this one (from another Shot Builder).",
                ),
            ],
            outputs=[SHOTS.Output(id="shots_out", display_name="shots")],
            hidden=[io.Hidden.unique_id],
        )

    @classmethod
    def validate_inputs(cls, scene: Any = None, duration_s: Any = None) -> bool | str:
        from ..create.plan import add_shot

        try:
            add_shot(
                None,
                "linked" if scene is None else scene,
                1.0 if duration_s is None else duration_s,
            )
        except (InvalidRequestError, TypeError, ValueError) as exc:
            return str(exc)
        return True

    @classmethod
    def execute(
        cls, scene: str, duration_s: float, shots: list[dict[str, Any]] | None = None
    ) -> io.NodeOutput:
        from ..create.plan import add_shot, describe_shots

        chained = add_shot(shots, scene, duration_s)
        summary = describe_shots(chained)
        show_text(cls, summary)  # the running total, on the node's face
        return io.NodeOutput(chained, ui=ui.PreviewText(summary))
