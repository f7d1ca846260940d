"""The pack's route table on a real aiohttp server on 127.0.0.1, for the route tests.

`env` is the routes' environment (a config file in tmp_path, the sandbox as the service); tests
may add to it before a request, since the routes read it on every call.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from freesora.config import load_settings
from freesora.ledger import FileLedger, Ledger, ledger_location, open_ledger
from freesora.routes import build_routes
from freesora.sandbox import RunningSandbox


def route_table(
    env: dict[str, str], journal: Path, *, as_configured: bool = False
) -> web.RouteTableDef:
    """The routes over the journal `journal`; `as_configured`: over the ledger the settings
    name, opened on every request as ComfyUI opens it (a broken config or an unusable ledger
    is then the routes' to report)."""
    routes = web.RouteTableDef()
    ledger = FileLedger(journal)

    async def fixed() -> Ledger:
        return ledger

    async def configured() -> Ledger:
        return await open_ledger(ledger_location(load_settings(None, env), journal))

    build_routes(routes, default_ledger=configured if as_configured else fixed, env=env)
    return routes


@pytest.fixture
def env(tmp_path: Path, served: RunningSandbox) -> dict[str, str]:
    return {
        "FREESORA_CONFIG": str(tmp_path / "cfg" / "config.json"),
        "FREESORA_BASE_URL": served.base_url,
    }


@pytest.fixture
async def client(env: dict[str, str], tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application()
    app.add_routes(route_table(env, tmp_path / "tasks.jsonl"))
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


@pytest.fixture
async def configured_client(
    env: dict[str, str], tmp_path: Path
) -> AsyncIterator[TestClient[Any, Any]]:
    """`client`, with the ledger the settings name (FREESORA_JOURNAL, the profile's journal)."""
    app = web.Application()
    app.add_routes(route_table(env, tmp_path / "tasks.jsonl", as_configured=True))
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def raw_request(client: TestClient[Any, Any], head: bytes, body: bytes = b"") -> bytes:
    """Send bytes as they are (no Host added, any framing) and return the whole answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    try:
        writer.write(head + body)
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
