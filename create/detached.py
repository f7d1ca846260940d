"""The pack's own event loop: work started here runs to its end whoever started it.

ComfyUI runs each prompt under `asyncio.run`; when the prompt fails elsewhere it cancels every
task of that loop, which would abort a create the service has already received (and charges
for). Work started here (`run`) runs on one long-lived loop in a daemon thread instead: a sent
create (`send`), or a whole take started with no node running. Its caller may wait for the
result even while being cancelled (`ledger.outlive`), record it, and only then let the cancel
go on. Stores the work opens belong to this loop, which never ends before the process does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from ..schemas import CreateVideoRequest
from ..service.client import FreeSoraClient, open_session

T = TypeVar("T")
_guard = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _detached_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _guard:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=_loop.run_forever, name="freesora-creates", daemon=True
            )
            thread.start()
        return _loop


def run(work: Coroutine[Any, Any, T]) -> Future[T]:
    """`work` started on the pack's own loop; its result (or error) comes in the Future."""
    return asyncio.run_coroutine_threadsafe(work, _detached_loop())


async def _create(client: FreeSoraClient, request: CreateVideoRequest) -> str:
    async with open_session() as session:
        return await client.with_session(session).create(request)


def send(client: FreeSoraClient, request: CreateVideoRequest) -> asyncio.Future[str]:
    """The create, started on the pack's own loop; the caller awaits it with `ledger.outlive`."""
    return asyncio.wrap_future(run(_create(client, request)))
