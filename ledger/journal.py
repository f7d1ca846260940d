"""Where the task journal lives, and how one of its entries reads as a line of text.

The journal itself (records, index, locks) is `file_store.FileLedger`; this module keeps the
path rules every caller shares (`FREESORA_JOURNAL` wins; ComfyUI passes its user directory).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from .contract import Entry, TakeState

ENV_JOURNAL = "FREESORA_JOURNAL"


def default_journal_path(env: Mapping[str, str] | None = None) -> Path:
    """A per-user data folder (ComfyUI passes its own user directory instead)."""
    env = os.environ if env is None else env
    if env.get(ENV_JOURNAL):
        return Path(env[ENV_JOURNAL]).expanduser()
    if sys.platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "freesora" / "tasks.jsonl"


def format_entry(entry: Entry) -> str:
    """One take as a terminal line: when, task id, model, state, take key, seed, slot, price,
    file or reason."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created_at))
    detail = entry.file or entry.reason or ""
    seed = "" if entry.seed is None else f" seed={entry.seed}"
    slot = f" slot={entry.slot + 1}" if entry.slot else ""
    if entry.price is not None:  # credits charged at its claim (older takes have none)
        slot += f" price={entry.price:g}"
    if entry.state in (TakeState.FAILED, TakeState.CANCELLED) and entry.price:
        slot += " (credits refunded)" if entry.credits_refunded else " (counted as spent)"
    task = entry.task_id or "-"
    take = entry.take_key.split(":", 1)[-1][:12]
    line = f"{when}  {task:<34} {entry.model:<28} {entry.state.value:<10} take={take}{seed}{slot}"
    return f"{line} {detail}".rstrip()
