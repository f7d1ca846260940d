"""FreeSoraImageToVideo: an image (or a batch: one task each) becomes Sora 2 tasks."""

from __future__ import annotations

import asyncio
from typing import Any

from comfy_api.latest import io

from ..schemas.models import FIT_DEFAULT, FITS, SEED_DEFAULT, ModelKind
from . import widgets as w
from .creating import (
    combo_problem,
    create_planned,
    queue_time_check,
    require_choices,
)
from .search_aliases import search_aliases


class FreeSoraImageToVideo(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="FreeSoraImageToVideo",
            display_name="Sora 2 Image to Video",
            category="FreeSora",
            **search_aliases("image to video", "i2v", "animate image", "图生视频", "视频生成"),
            description="Animate an image with Sora 2 (spends credits). A batch of N images "
            "creates N tasks and outputs a list of task ids, in batch order.",
            inputs=[
                w.model_input(ModelKind.IMAGE),
                w.prompt_input(),
                io.String.Input(
                    "image_url",
                    default="",
                    tooltip="Or a public http(s) image URL, used only when no image is connected. "
                    "Leave empty to use the image.",
                ),
                io.Image.Input(
                    "image",
                    optional=True,
                    tooltip="The first frame / reference. Encoded to fit the service's 10 MB "
                    "limit. Each image of a batch becomes its own task.",
                ),
                w.aspect_ratio_input(with_auto=True),
                io.Combo.Input(
                    "fit",
                    options=list(FITS),
                    default=FIT_DEFAULT,
                    tooltip="How the image is made 16:9 or 9:16 before sending: crop the centre, "
                    "pad with black bars, or send it as it is.",
                ),
                w.n_frames_input(ModelKind.IMAGE),
                w.size_input(),
                w.remove_watermark_input(),
                w.is_public_input(),
                w.seed_input(),
                w.profile_input(),
            ],
            outputs=[w.task_id_output(is_list=True)],
            hidden=[io.Hidden.unique_id],
        )

    @classmethod
    def validate_inputs(cls, **inputs: Any) -> bool | str:
        problem = combo_problem(cls, inputs)
        if problem:
            return problem
        inputs.pop("fit", None)
        # ComfyUI passes a connected input as a key holding None (its value comes at run
        # time) and leaves an unconnected optional input out.
        image_linked = "image" in inputs
        inputs.pop("image", None)
        url = (inputs.pop("image_url", None) or "").strip()
        if url:
            inputs["image_url"] = url
        return queue_time_check(image_linked=image_linked and not url, allows_auto=True, **inputs)

    @classmethod
    async def execute(
        cls,
        image: Any = None,
        image_url: str = "",
        fit: str = FIT_DEFAULT,
        seed: int = SEED_DEFAULT,
        profile: str = "",
        **widgets: Any,
    ) -> io.NodeOutput:
        from ..create.plan import NodeTakes, plan_image_tasks

        require_choices(cls, {**widgets, "fit": fit})
        if image is None and (image_url or "").strip():
            widgets["image_url"] = image_url.strip()
        # Encoding is CPU work: keep it off the executor's event loop.
        planned = await asyncio.to_thread(plan_image_tasks, image, fit=fit, **widgets)
        return await create_planned(
            cls, NodeTakes(planned, seed, profile.strip() or None), as_list=True
        )
