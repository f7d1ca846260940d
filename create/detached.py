"""Sent creates finish on the pack's own event loop, out of reach of the caller's cancellation.

ComfyUI runs each prompt under `asyncio.run`; when the prompt fails elsewhere it cancels every
task of that loop, which would abort a create the service has already received (and charges
for). A create sent from here runs on one long-lived loop in a daemon thread, so the caller can
wait for its answer even while being cancelled, record it, and only then let the cancel go on.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future

from ..schemas import CreateVideoRequest
from ..service.client import FreeSoraClient, open_session

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


async def _create(client: FreeSoraClient, request: CreateVideoRequest) -> str:
    async with open_session(client.settings) as session:
        return await client.with_session(session).create(request)


def send(client: FreeSoraClient, request: CreateVideoRequest) -> asyncio.Future[str]:
    """The create, started on the detached loop; await the result with `outlast`."""
    done: Future[str] = asyncio.run_coroutine_threadsafe(_create(client, request), _detached_loop())
    return asyncio.wrap_future(done)


async def outlast(answer: asyncio.Future[str]) -> bool:
    """Wait for `answer` to be done; True if we were cancelled meanwhile (the caller re-raises
    after recording). A second cancel while waiting stops the wait at once."""
    try:
        await asyncio.shield(answer)
    except asyncio.CancelledError:
        if not answer.done():
            await asyncio.wait([answer])
        return True
    except BaseException:
        return False
    return False
