"""FreeSora nodes: ComfyUI entry point. Imports nothing from ComfyUI at module level.

ComfyUI loads this folder as a package and calls `comfy_entrypoint()`; outside ComfyUI the same
folder is the importable package `freesora` (the pure layer: see ARCHITECTURE.md). Nothing in the
pack imports this module back, so the entry point can never take part in an import circle.
"""

from __future__ import annotations

from typing import Any

from .service import VERSION as __version__

__all__ = ["WEB_DIRECTORY", "__version__", "comfy_entrypoint"]

# The pack's frontend extensions: ComfyUI serves this folder to the browser (read by its nodes.py).
WEB_DIRECTORY = "./web"


async def comfy_entrypoint() -> Any:
    """Return the pack's ComfyExtension; ComfyUI-specific imports happen only here."""
    from .nodes import extension

    return await extension.comfy_entrypoint()
