"""ComfyUI's progress, status-text and interrupt hooks, in one place for every node."""

from __future__ import annotations

from typing import Any

from comfy_api.latest import io


def show_text(node: type[io.ComfyNode], text: str) -> None:
    """Write a status line on the node while it runs (no-op without a server, e.g. in tests),
    for the client that queued the running prompt: another client's node of the same id is
    another node (without a client id, every client is told, as ComfyUI does)."""
    try:
        from server import PromptServer
    except ImportError:
        return
    unique_id = node.hidden.unique_id
    server = PromptServer.instance
    if server is not None and unique_id is not None:
        server.send_progress_text(text, unique_id, getattr(server, "client_id", None))


def interrupted() -> bool:
    """True once the user pressed Cancel.

    Read the flag directly: ProgressBar's own check clears it, so with several tasks waiting
    concurrently only the first would notice.
    """
    import comfy.model_management

    return bool(comfy.model_management.processing_interrupted())


def interrupt_error() -> BaseException:
    """The core's own interrupt (an Exception up to 0.3.64, a BaseException on newer cores)."""
    import comfy.model_management

    return comfy.model_management.InterruptProcessingException()


def progress_bar(total: int) -> Any:
    import comfy.utils

    return comfy.utils.ProgressBar(total)
