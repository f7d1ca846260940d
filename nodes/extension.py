"""The pack's ComfyExtension: the list of nodes ComfyUI registers, and the pack's routes and
prompt check added to ComfyUI's server."""

from __future__ import annotations

import sys

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
    from . import prompt_check, queue_start

    _register_routes()
    prompt_check.register()  # a storyboard's linked shots checked at queue time
    queue_start.register()  # with the switch on, takes start once their prompt is queued
    return FreeSoraExtension()


_REGISTERED: set[int] = set()


def _register_routes() -> None:
    """Add the /freesora/ routes to ComfyUI's server once (ComfyUI applies its table after
    loading packs).

    Only a running ComfyUI has imported its `server` module before loading packs; importing it
    here otherwise would start ComfyUI's device set-up (CUDA) in a process that only lists the
    nodes (tests, benchmarks).
    """
    prompt_server = getattr(sys.modules.get("server"), "PromptServer", None)
    server = getattr(prompt_server, "instance", None)
    if server is None or id(server.routes) in _REGISTERED:
        return
    from ..facade import FreeSora
    from ..routes import build_routes
    from .comfy_folders import journal_path

    build_routes(
        server.routes, default_ledger=lambda: FreeSora.ledger_of(default_journal=journal_path)
    )
    _REGISTERED.add(id(server.routes))
