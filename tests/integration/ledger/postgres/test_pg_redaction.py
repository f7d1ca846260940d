"""A PostgreSQL ledger's password is never shown: not in `where` (history, CLI, Task History),
not in an error (libpq's text repeats what it could not read), not in the log, not in a route's
answer. A real database, URLs written every way libpq reads them."""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from freesora.errors import LedgerError
from freesora.ledger import PostgresLedger, open_ledger
from freesora.routes import build_routes

SECRET = "Zq7secretPW"


@pytest.fixture
def server(pg_url: str) -> tuple[str, int, str]:
    """The test database's host, port and name (its user is `freesora`, trusted: any password
    is accepted, so a URL with a password connects)."""
    parts = urlsplit(pg_url)
    assert parts.hostname
    assert parts.port
    return parts.hostname, parts.port, parts.path.strip("/")


def connecting(host: str, port: int, db: str) -> dict[str, tuple[str, str]]:
    """URLs that connect, and what `where` must show of each."""
    shown = f"postgresql://freesora@{host}:{port}/{db}"
    return {
        "a password parameter": (
            f"postgresql://freesora@{host}:{port}/{db}?password={SECRET}",
            shown,
        ),
        "# and ? in the password": (
            f"postgresql://freesora:{SECRET}#1?2@{host}:{port}/{db}",
            shown,
        ),
        "escaped / and @": (f"postgresql://freesora:{SECRET}%2F%40@{host}:{port}/{db}", shown),
        "several hosts": (
            f"postgresql://freesora:{SECRET}@{host}:9,{host}:{port}/{db}?connect_timeout=3",
            f"postgresql://freesora@{host}:9,{host}:{port}/{db}",
        ),
    }


@pytest.mark.parametrize(
    "case", ["a password parameter", "# and ? in the password", "escaped / and @", "several hosts"]
)
async def test_where_shows_user_hosts_and_database_never_the_password(
    server: tuple[str, int, str], case: str, caplog: pytest.LogCaptureFixture
) -> None:
    url, shown = connecting(*server)[case]
    ledger = await PostgresLedger.connect(url, max_size=2)
    try:
        assert ledger.where == shown
        assert SECRET not in repr(ledger)
        await ledger.remember("t1")  # the database is really in use
        assert [e.task_id for e in await ledger.entries()] == ["t1"]
    finally:
        await ledger.close()
    assert SECRET not in caplog.text


def failing(host: str, port: int, db: str) -> dict[str, tuple[str, str]]:
    """URLs that cannot be used, and what the error must say instead of libpq's text."""
    return {
        "a bad percent escape": (
            f"postgresql://freesora:{SECRET}%zz@{host}:{port}/{db}",
            "could not be read",
        ),
        "a space in the password": (
            f"postgresql://freesora:{SECRET} 1@{host}:{port}/{db}",
            "could not be read",
        ),
        "an unknown parameter": (
            f"postgresql://freesora@{host}:{port}/{db}?password={SECRET}&colour=red",
            "could not be read",
        ),
        "no such database": (
            f"postgresql://freesora@{host}:{port}/no_such_db?password={SECRET}",
            "database 'no_such_db' does not exist",
        ),
        "no such user": (
            f"postgresql://nobody_here:{SECRET}@{host}:{port}/{db}",
            "user 'nobody_here' does not exist",
        ),
        "nothing listening": (
            f"postgresql://freesora@{host}:9/{db}?password={SECRET}",
            "connection was refused",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "a bad percent escape",
        "a space in the password",
        "an unknown parameter",
        "no such database",
        "no such user",
        "nothing listening",
    ],
)
async def test_a_database_that_cannot_be_used_is_named_without_its_password(
    server: tuple[str, int, str], case: str, caplog: pytest.LogCaptureFixture
) -> None:
    host = server[0]
    url, said = failing(*server)[case]
    with caplog.at_level(logging.DEBUG), pytest.raises(LedgerError) as caught:
        await open_ledger(url)
    message = str(caught.value)
    assert SECRET not in message
    assert said in message
    assert f"@{host}:" in message  # where it is: host, database and user, nothing more
    assert "connection to server at" not in message  # libpq's text is never repeated
    assert "nothing was sent" in message
    assert SECRET not in caplog.text


async def test_the_task_list_route_answers_a_ledger_error_without_the_password(
    server: tuple[str, int, str], caplog: pytest.LogCaptureFixture
) -> None:
    url = failing(*server)["a bad percent escape"][0]
    routes = web.RouteTableDef()
    build_routes(routes, default_ledger=lambda: open_ledger(url), env=dict(os.environ))
    app = web.Application()
    app.add_routes(routes)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        answer = await client.get("/freesora/tasks")
        body: dict[str, Any] = await answer.json()
    assert answer.status == 503
    assert "could not be read" in body["error"]
    assert SECRET not in str(body)
    assert SECRET not in caplog.text
