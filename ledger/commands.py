"""The ledger as a command the pack prints names it: the `freesora` flags that open this store
from any folder, written as the user's shell reads them. Text only: opens nothing.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

from ..config import DEFAULT_PROFILE, is_database_url
from .contract import Ledger


def journal_flags(ledger: Ledger | str | Path, profile: str = DEFAULT_PROFILE) -> str:
    """The `freesora` flags that open this ledger (a store, or its location) from any folder, for
    a command a message prints: a journal file's `--journal PATH` (absolute), and the profile
    when it is not the default (its key and budget); a database's `--profile NAME`, the profile
    naming it (its URL may hold a password, never printed)."""
    chosen = f"--profile {shell_word(profile)}"
    location = ledger if isinstance(ledger, str | Path) else ledger.where
    if is_database_url(str(location)):
        return chosen
    journal = f"--journal {shell_word(os.path.abspath(location))}"
    return journal if profile == DEFAULT_PROFILE else f"{journal} {chosen}"


def is_journal_file(ledger: Ledger) -> bool:
    """Whether the store is a journal file (a path selects it), not a database."""
    return not is_database_url(ledger.where)


_PLAIN_WORD = re.compile(r"[\w@%+=:,./\\-]+")


def shell_word(text: str) -> str:
    """`text` as one word of a command typed in this system's shell: bare when it can be, else
    quoted (Windows: in double quotes, which cmd.exe and PowerShell both read)."""
    if _PLAIN_WORD.fullmatch(text):
        return text
    return f'"{text}"' if sys.platform == "win32" else shlex.quote(text)
