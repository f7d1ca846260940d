"""The PostgreSQL store's connection pool: opened so a database that is down fails fast, and
closed so that no connection stays open on the server, even as a prompt's loop ends.

Owns nothing else; `postgres.PostgresLedger` uses it. psycopg is imported only with the farm store.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from .failures import cannot_use

Opened = weakref.WeakSet[psycopg.AsyncConnection[Any]]


async def open_pool(
    url: str, *, max_size: int, timeout_s: float
) -> tuple[AsyncConnectionPool[Any], Opened]:
    """An open pool, and the set of every connection it opens (for `close_pool`)."""
    opened: Opened = weakref.WeakSet()

    async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
        opened.add(conn)

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        url,
        configure=configure,
        min_size=min(4, max_size),  # a few ready: opening one costs more than a create's work
        max_size=max_size,
        kwargs={"autocommit": True},
        check=AsyncConnectionPool.check_connection,
        timeout=5.0,  # per wait for a connection: a database that is down fails fast
        open=False,
    )
    try:
        await pool.open(wait=True, timeout=timeout_s)
    except BaseException as exc:
        await pool.close()  # its workers would go on trying to connect
        if isinstance(exc, psycopg.Error):
            raise cannot_use(url, exc) from None
        raise
    return pool, opened


async def close_pool(pool: AsyncConnectionPool[Any], opened: Opened) -> None:
    """Close the pool and every connection it opened, even as the loop ends: ComfyUI's
    `asyncio.run` cancels the pool's workers before the store is closed, and the pool then
    stops before closing its idle connections (they would stay open on the server)."""
    cancelled: asyncio.CancelledError | None = None
    try:
        await pool.close()
    except asyncio.CancelledError as exc:
        cancelled = exc
    for conn in list(opened):
        if not conn.closed:
            await conn.close()
    if cancelled is not None:
        raise cancelled
