"""FreeSora nodes: ComfyUI entry point. Imports nothing from ComfyUI at module level.

ComfyUI loads this folder as a package and calls `comfy_entrypoint()`; outside ComfyUI the same
folder is the importable package `freesora` (pure layer: schemas, client, media, config, sandbox).
"""

from __future__ import annotations

from typing import Any

__all__ = ["comfy_entrypoint"]
__version__ = "0.1.0"


async def comfy_entrypoint() -> Any:
    """Return the pack's ComfyExtension; ComfyUI-specific imports happen only here."""
    from .nodes import extension

    return await extension.comfy_entrypoint()
