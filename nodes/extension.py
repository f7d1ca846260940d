"""The pack's ComfyExtension: the list of nodes ComfyUI registers."""

from __future__ import annotations

from comfy_api.latest import ComfyExtension, io

from .image_to_video import FreeSoraImageToVideo
from .shot_builder import FreeSoraShotBuilder
from .storyboard import FreeSoraStoryboard
from .task_history import FreeSoraTaskHistory
from .text_to_video import FreeSoraTextToVideo
from .video_result import FreeSoraVideoResult

NODES: list[type[io.ComfyNode]] = [
    FreeSoraTextToVideo,
    FreeSoraImageToVideo,
    FreeSoraShotBuilder,
    FreeSoraStoryboard,
    FreeSoraVideoResult,
    FreeSoraTaskHistory,
]


class FreeSoraExtension(ComfyExtension):
    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        return list(NODES)


async def comfy_entrypoint() -> FreeSoraExtension:
    # ComfyUI calls this once while loading packs, before it applies its route table.
    from . import prompt_check
    from .routes import register

    register()
    prompt_check.register()  # a storyboard's linked shots checked at queue time
    return FreeSoraExtension()
