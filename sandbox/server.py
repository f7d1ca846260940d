"""Serving a `Sandbox` on a real TCP port: for tests (`run_sandbox`) and the CLI (`serve_forever`).

Owns sockets and the aiohttp runner lifecycle; no service behaviour.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .app import Sandbox
from .state import SANDBOX_KEY

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunningSandbox:
    """A sandbox being served; `base_url` has no trailing slash, e.g. http://127.0.0.1:54321."""

    sandbox: Sandbox
    base_url: str
    host: str
    port: int


def _url_host(host: str) -> str:
    # A wildcard bind is reachable on loopback; IPv6 literals need brackets in URLs.
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


@asynccontextmanager
async def run_sandbox(
    host: str = "127.0.0.1", port: int = 0, *, sandbox: Sandbox | None = None, **kwargs: Any
) -> AsyncIterator[RunningSandbox]:
    """Serve a sandbox (the one given, or `Sandbox(**kwargs)`) until the block exits.

    Port 0 lets the OS pick a free port; the bound one is read back from the runner.
    """
    if sandbox is None:
        sandbox = Sandbox(**kwargs)
    elif kwargs:
        raise TypeError(f"pass either sandbox= or Sandbox options, not both: {sorted(kwargs)}")
    runner = web.AppRunner(sandbox.app())
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_port = int(runner.addresses[0][1])
        base_url = f"http://{_url_host(host)}:{bound_port}"
        yield RunningSandbox(sandbox, base_url, host, bound_port)
    finally:
        await runner.cleanup()


async def serve_forever(host: str = "127.0.0.1", port: int = 8765, **kwargs: Any) -> None:
    """Serve a sandbox until cancelled (Ctrl-C under asyncio.run), logging where and how."""
    async with run_sandbox(host, port, **kwargs) as running:
        logger.info(
            "FreeSora sandbox serving at %s; use API key %r (or any key starting with it, "
            "e.g. %s-alice); state at %s/sandbox/state",
            running.base_url,
            SANDBOX_KEY,
            SANDBOX_KEY,
            running.base_url,
        )
        await asyncio.Event().wait()
