"""ComfyUI's progress, status-text and interrupt hooks, in one place for every node."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comfy_api.latest import io

if TYPE_CHECKING:
    from ..config import Settings
    from ..ledger import Ledger

LEDGER_FOLDER = "freesora"
JOURNAL_NAME = "tasks.jsonl"


def show_text(node: type[io.ComfyNode], text: str) -> None:
    """Write a status line on the node while it runs (no-op without a server, e.g. in tests)."""
    try:
        from server import PromptServer
    except ImportError:
        return
    unique_id = node.hidden.unique_id
    if PromptServer.instance is not None and unique_id is not None:
        PromptServer.instance.send_progress_text(text, unique_id)


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


def journal_path() -> Path:
    """Where the pack's ledger lives inside ComfyUI (FREESORA_JOURNAL, when set, wins).

    Cores that offer a folder HTTP never serves (`get_system_user_directory`, newer than 0.3.64)
    get it, and the old `user/freesora/` folder moves there once, with everything in it. Older
    cores keep `user/freesora/`. Files the ledger keeps beside the journal belong in the same
    folder: `journal_path().parent`.
    """
    import folder_paths

    from ..config import ENV_JOURNAL, default_journal_path
    from ..ledger.file.relocate import relocate_folder

    if os.environ.get(ENV_JOURNAL):
        return default_journal_path()
    public = Path(folder_paths.get_user_directory()) / LEDGER_FOLDER
    system_directory = getattr(folder_paths, "get_system_user_directory", None)
    if system_directory is None:
        return public / JOURNAL_NAME
    private = Path(system_directory(LEDGER_FOLDER))
    relocate_folder(public, private)
    return private / JOURNAL_NAME


def progress_bar(total: int) -> Any:
    import comfy.utils

    return comfy.utils.ProgressBar(total)


async def open_ledger_for(settings: Settings) -> Ledger:
    """The ledger of this profile: its `journal` (a file, or a farm's PostgreSQL database; for the
    default profile FREESORA_JOURNAL wins), else the pack's folder inside ComfyUI."""
    from ..ledger import ledger_location, open_ledger

    return await open_ledger(ledger_location(settings, journal_path()))
