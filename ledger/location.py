"""Choosing the ledger's store: a local journal file (the default) or a farm's PostgreSQL database.

    location = ledger_location(settings, default_file)   # where, from env / profile / default
    ledger = await open_ledger(location)                 # the store, ready (or a clear error)

PostgreSQL's driver is imported only here and only for a `postgresql://` location, so a
single-machine install never needs it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Mapping
from pathlib import Path

from ..config import ENV_JOURNAL, Settings, is_database_url, normalize_journal, shown_database
from ..errors import ConfigError
from .contract import Ledger
from .journal import default_journal_path

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


def ledger_location(
    settings: Settings | None = None,
    default_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> str | Path:
    """The profile's `journal` (FREESORA_JOURNAL wins for the default profile), else
    `default_file` (ComfyUI's user folder), else the per-user data folder. A database is
    returned as its URL (str), a file as a Path."""
    env = os.environ if env is None else env
    chosen = settings.journal if settings is not None else None
    if chosen is None and env.get(ENV_JOURNAL, "").strip():
        chosen = normalize_journal(env[ENV_JOURNAL], ENV_JOURNAL)
    if chosen is not None:
        return chosen if is_database_url(chosen) else Path(chosen).expanduser()
    return default_file if default_file is not None else default_journal_path(env)


async def open_ledger(location: str | Path) -> Ledger:
    """The store at `location`: a `FileLedger` for a path, a `PostgresLedger` for a URL.

    A database that is unreachable, or a driver that is missing, is an error here, before
    anything can be sent.
    """
    if isinstance(location, str) and is_database_url(location):
        return await _open_database(location)
    from .file import shared_file_ledger as open_file

    return open_file(Path(location))


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
