"""A service that repeats the key in its words: the key never reaches the user, the log, the
journal or a route's answer, in any form the service may give it (whole, cut short, masked,
URL-encoded, \\u-escaped in JSON), wherever it says it (a message, a text body, a header, a
task's failure reason, a result link, a proxy's answer).

Against the sandbox (fault `echo_key`), a stand-in service and a stand-in proxy on 127.0.0.1,
and the `freesora` command run as a user runs it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cli_runner import Cli
from harness import FakeClock, Harness

from freesora.collect import collect_video
from freesora.config import ApiKey, Settings
from freesora.create.plan import PlannedTask
from freesora.create.submit import submit_tasks
from freesora.errors import FreeSoraError, TaskFailedError, TransportError
from freesora.ledger import FileLedger
from freesora.sandbox import RunningSandbox
from freesora.sandbox.faults import ECHO_FORMS
from freesora.schemas import build_create_request
from freesora.service.client import CREATE_PATH, STATUS_PATH, FreeSoraClient
from freesora.service.keycheck import check_key
from freesora.service.retry import RetryPolicy

# `+`, `/` and `=` change when URL-encoded; the rest is a typical key's alphabet.
ECHO_KEY = "sk-echo+7f3a/9c1e=55d04b2b8e61c0d9a4f2"
SECRET = ECHO_KEY.removeprefix("sk-")
MASKED = ECHO_KEY[:5] + "*" * 16 + ECHO_KEY[-4:]
# What must never be seen: the key, 8 characters of its secret part (plain or URL-encoded),
# its masked form.
NEEDLES = (ECHO_KEY, SECRET[:8], quote(ECHO_KEY, safe="")[3:11], MASKED, SECRET[-12:])
REQUEST = build_create_request(model="sora-2-text-to-video", prompt="A paper boat")
PLACES = [("message", form) for form in ECHO_FORMS] + [("text", "full"), ("header", "full")]


def leaks(*texts: str) -> list[str]:
    return [needle for needle in NEEDLES for text in texts if needle.lower() in text.lower()]


def journal_text(folder: Path) -> str:
    return "".join(path.read_text(encoding="utf-8") for path in folder.glob("*.jsonl"))


@pytest.mark.parametrize(("where", "form"), PLACES)
async def test_a_create_refused_in_words_that_repeat_the_key_never_shows_logs_or_stores_it(
    harness: Harness,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    where: str,
    form: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    harness.sandbox.faults.add("create", "echo_key", form=form, where=where)
    client = harness.client_with(key=ECHO_KEY)
    with pytest.raises(FreeSoraError) as caught:
        await submit_tasks(client, [PlannedTask(REQUEST)], ledger=ledger, seed=1)
    assert len(harness.sandbox.received.creates) == 1
    shown = str(caught.value)
    assert "API key removed" in shown or where == "header"
    assert not leaks(shown, repr(caught.value), caplog.text, journal_text(tmp_path))


@pytest.mark.parametrize(("where", "form"), PLACES)
async def test_the_key_check_says_the_refusal_without_the_key(
    harness: Harness, where: str, form: str
) -> None:
    harness.sandbox.faults.add("status", "echo_key", form=form, where=where, times=5)
    with pytest.raises(FreeSoraError) as caught:
        await check_key(harness.client_with(key=ECHO_KEY))
    assert not leaks(str(caught.value), repr(caught.value))


@pytest.fixture
async def echoing_service() -> AsyncIterator[str]:
    """A service that creates, then fails the task with the key in its reason and link."""

    async def create(request: web.Request) -> web.Response:
        return web.json_response({"code": 0, "message": "ok", "data": {"taskId": "t-echo"}})

    async def status(request: web.Request) -> web.Response:
        key = request.headers["Authorization"].removeprefix("Bearer ")
        data = {
            "taskId": "t-echo",
            "status": "failed",
            "failure_reason": f"upstream refused key {key[:14]}…",
            "error_message": f"auth {quote(key, safe='')}",
            "result_urls": [f"https://cdn.example/v.mp4?key={key}"],
        }
        return web.json_response({"code": 0, "message": "ok", "data": data})

    app = web.Application()
    app.router.add_post(CREATE_PATH, create)
    app.router.add_post(STATUS_PATH, status)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/")


async def test_a_failed_tasks_reason_that_repeats_the_key_is_journaled_and_shown_without_it(
    echoing_service: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    async with aiohttp.ClientSession() as session:
        settings = Settings(echoing_service, ApiKey(ECHO_KEY), "test")
        client = FreeSoraClient(session, settings, sleep=clock.sleep, clock=clock)
        [made] = await submit_tasks(client, [PlannedTask(REQUEST)], ledger=ledger, seed=1)
        with pytest.raises(TaskFailedError) as caught:
            await collect_video(client, made.task_id, tmp_path / "out", ledger=ledger, clock=clock)
    assert "upstream refused key" in str(caught.value)
    assert not leaks(str(caught.value), caught.value.reason or "", caplog.text)
    assert not leaks(journal_text(tmp_path))


@pytest.fixture
async def echoing_proxy() -> AsyncIterator[str]:
    """A proxy that refuses the tunnel with the key in its reason phrase (as a broken one may)."""

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(f"HTTP/1.1 403 Denied {ECHO_KEY}\r\nContent-Length: 0\r\n\r\n".encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_a_proxys_answer_that_repeats_the_key_is_shown_without_it(
    echoing_proxy: str,
) -> None:
    clock = FakeClock()
    settings = Settings("https://service.invalid", ApiKey(ECHO_KEY), "test", proxy=echoing_proxy)
    async with aiohttp.ClientSession() as session:
        client = FreeSoraClient(
            session, settings, policy=RetryPolicy(attempts=1), sleep=clock.sleep, clock=clock
        )
        with pytest.raises(TransportError) as caught:
            await client.create(REQUEST)
    assert "403" in str(caught.value)
    assert not leaks(str(caught.value), repr(caught.value))


async def test_the_key_check_route_answers_the_refusal_without_the_key(
    client: TestClient[Any, Any],
    served: RunningSandbox,
    env: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    env["FREESORA_API_KEY"] = ECHO_KEY
    for form in ECHO_FORMS:
        served.sandbox.faults.add("status", "echo_key", form=form, times=2)
        resp = await client.post("/freesora/key/check", json={})
        text = await resp.text()
        assert json.loads(text)["ok"] is False
        assert "API key removed" in json.loads(text)["message"]
        assert not leaks(text), form
    assert not leaks(caplog.text)


@pytest.mark.parametrize("form", ["full", "prefix", "masked", "url_encoded"])
async def test_the_command_never_prints_or_journals_a_key_the_service_repeats(
    cli: Cli, form: str
) -> None:
    cli.env["FREESORA_API_KEY"] = ECHO_KEY
    cli.sandbox.faults.add("status", "echo_key", form=form, times=2)
    cli.sandbox.faults.add("create", "echo_key", form=form)
    checked = await cli("check")
    created = await cli("create", "--model", REQUEST.model.value, "--prompt", "A kite")
    assert (checked.code, created.code) == (1, 1), (checked.err, created.err)
    assert "Incorrect API key provided" in checked.err + checked.out
    assert "Incorrect API key provided" in created.err
    assert not leaks(checked.out, checked.err, created.out, created.err)
    assert not leaks(journal_text(cli.cwd))


async def test_a_result_link_that_carries_the_key_is_fetched_without_it(tmp_path: Path) -> None:
    asked: list[str] = []
    video = (Path(__file__).resolve().parents[2] / "sandbox" / "assets" / "sample.mp4").read_bytes()

    async def status(request: web.Request) -> web.Response:
        key = request.headers["Authorization"].removeprefix("Bearer ")
        link = str(request.url.with_path("/files/v.mp4").with_query({"key": key}))
        data = {"taskId": "t-link", "status": "succeeded", "result_urls": [link]}
        return web.json_response({"code": 0, "message": "ok", "data": data})

    async def files(request: web.Request) -> web.Response:
        asked.append(str(request.rel_url))
        return web.Response(body=video, content_type="video/mp4")

    app = web.Application()
    app.router.add_post(STATUS_PATH, status)
    app.router.add_get("/files/v.mp4", files)
    clock = FakeClock()
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        settings = Settings(str(server.make_url("")).rstrip("/"), ApiKey(ECHO_KEY), "test")
        client = FreeSoraClient(session, settings, sleep=clock.sleep, clock=clock)
        result = await collect_video(client, "t-link", tmp_path / "out", clock=clock)
    assert result.path.read_bytes() == video
    assert len(asked) == 1
    assert not leaks(asked[0])


async def test_a_proxys_password_is_never_shown_or_journaled_either(
    echoing_proxy: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    proxy = echoing_proxy.replace("http://", "http://office:pr0xy-pa55word@")
    settings = Settings("https://service.invalid", ApiKey(ECHO_KEY), "test", proxy=proxy)
    async with aiohttp.ClientSession() as session:
        client = FreeSoraClient(
            session, settings, policy=RetryPolicy(attempts=1), sleep=clock.sleep, clock=clock
        )
        with pytest.raises(TransportError) as caught:
            await submit_tasks(client, [PlannedTask(REQUEST)], ledger=ledger, seed=1)
    assert "403" in str(caught.value)
    for shown in (str(caught.value), repr(caught.value), journal_text(tmp_path)):
        assert "pr0xy-pa55word" not in shown
