"""Where the ledger is, and its store there: a journal file (the default) or a farm's PostgreSQL.

    location = ledger_location(settings, default_file)   # the profile's journal, or a default
    ledger = await open_ledger(location)                 # the store, ready (or a clear error)

Stores are kept per place: one `FileLedger` per journal file in a process, and one
`PostgresLedger` per database and event loop (its pool belongs to that loop). The PostgreSQL
store (the only code that imports its driver) is loaded from here only for a `postgresql://`
location, so a single-machine install never needs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from pathlib import Path

from ..config import (
    ENV_JOURNAL,
    Settings,
    default_journal_path,
    is_database_url,
    shown_database,
    why_not_written,
)
from ..errors import ConfigError
from .contract import Ledger

# Where a profile that names no journal keeps it: a path, or a callable asked only then (finding
# ComfyUI's folder may move an older one).
DefaultFile = Path | Callable[[], Path]

INSTALL_HINT = (
    "A PostgreSQL ledger needs psycopg 3: run `python -m pip install -r "
    "requirements-postgres.txt` in the pack's folder with ComfyUI's own Python (or `pip install "
    '"freesora-nodes[postgres]"`), then restart.'
)

# One store per database and event loop: its connection pool belongs to that loop. ComfyUI
# runs each prompt on a loop of its own (`asyncio.run`), so each store is closed as its loop
# ends, by an async generator the loop finalizes (`shutdown_asyncgens`) before it closes.
_DATABASES: dict[
    tuple[str, int], tuple[asyncio.AbstractEventLoop, Ledger, AsyncGenerator[None, None]]
] = {}


def ledger_location(settings: Settings, default_file: DefaultFile | None = None) -> str | Path:
    """The profile's journal (`Settings.journal`: FREESORA_JOURNAL or the profile's `journal`),
    else `default_file` (ComfyUI's user folder), else the per-user data folder. A database is
    returned as its URL (str), a file as a Path."""
    chosen = settings.journal
    if chosen is not None:
        return chosen if is_database_url(chosen) else Path(chosen).expanduser()
    if default_file is None:
        return default_journal_path()
    return default_file() if callable(default_file) else default_file


async def open_ledger(location: str | Path) -> Ledger:
    """The store at `location`: a `FileLedger` for a path, a `PostgresLedger` for a URL.

    A database that is unreachable, a driver that is missing, or a journal path that cannot be
    one (a folder, a path under a file, a folder not to be written) is an error here, before
    anything can be sent.
    """
    if isinstance(location, str) and is_database_url(location):
        return await _open_database(location)
    return _file_ledger(Path(location))


def _file_ledger(path: Path) -> Ledger:
    """The journal file's store; a path that cannot be one is a setting to fix (ConfigError)."""
    from .file import shared_file_ledger

    fix = (
        f"Name a journal file in a folder you may write ({ENV_JOURNAL} or the profile's "
        "`journal`); nothing was sent."
    )
    if path.expanduser().is_dir():
        raise ConfigError(f"The task journal {path} is a folder, not a file. {fix}")
    try:
        return shared_file_ledger(path)
    except OSError as exc:  # its folder cannot be made, or its lock file written
        raise ConfigError(
            f"The task journal {path} cannot be opened: {why_not_written(exc)}. {fix}"
        ) from None


async def _open_database(url: str) -> Ledger:
    loop = asyncio.get_running_loop()
    for key, (owner, *_) in list(_DATABASES.items()):
        if owner.is_closed():  # a loop ended without finalizing its generators
            del _DATABASES[key]
    known = _DATABASES.get((url, id(loop)))
    if known is not None and known[0] is loop:
        return known[1]
    try:
        from .postgres import PostgresLedger
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("psycopg", "psycopg_pool"):
            raise
        raise ConfigError(
            f"The task ledger {shown_database(url)} ({ENV_JOURNAL} or the profile's `journal`)"
            f" is a PostgreSQL database. {INSTALL_HINT}"
        ) from None
    ledger: Ledger = await PostgresLedger.connect(url)
    closer = _closed_with_the_loop((url, id(loop)), ledger)
    await anext(closer)  # started: the loop now finalizes it when it ends
    _DATABASES[(url, id(loop))] = (loop, ledger, closer)
    return ledger


async def _closed_with_the_loop(key: tuple[str, int], ledger: Ledger) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if _DATABASES.get(key, (None, None))[1] is ledger:
            del _DATABASES[key]
        await ledger.close()


async def close_databases() -> None:
    """Close this loop's database pools now (the CLI, before its loop ends)."""
    loop = asyncio.get_running_loop()
    for owner, _, closer in list(_DATABASES.values()):
        if owner is loop:
            await closer.aclose()  # runs its `finally`: forgotten and closed
