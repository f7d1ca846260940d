"""ComfyUI's folders the pack keeps its files in: the ledger's journal and the videos.

Only the folders: which ledger a profile uses (its `journal`, FREESORA_JOURNAL) is decided by
the facade, which asks for `journal_path` only when the profile names none.
"""

from __future__ import annotations

from pathlib import Path

LEDGER_FOLDER = "freesora"
JOURNAL_NAME = "tasks.jsonl"
VIDEO_SUBFOLDER = "freesora"  # in ComfyUI's output folder


def journal_path() -> Path:
    """Where the pack's ledger lives inside ComfyUI.

    Cores that offer a folder HTTP never serves (`get_system_user_directory`, newer than 0.3.64)
    get it, and the old `user/freesora/` folder moves there once, with everything in it. Older
    cores keep `user/freesora/`. Files the ledger keeps beside the journal belong in the same
    folder: `journal_path().parent`.
    """
    import folder_paths

    from ..ledger.file.relocate import relocate_folder

    public = Path(folder_paths.get_user_directory()) / LEDGER_FOLDER
    system_directory = getattr(folder_paths, "get_system_user_directory", None)
    if system_directory is None:
        return public / JOURNAL_NAME
    private = Path(system_directory(LEDGER_FOLDER))
    relocate_folder(public, private)
    return private / JOURNAL_NAME


def download_dir() -> Path:
    """ComfyUI's output folder: its temp folder is emptied at every start, and a paid video
    must outlive that."""
    import folder_paths

    return Path(folder_paths.get_output_directory()) / VIDEO_SUBFOLDER
