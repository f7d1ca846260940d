"""What an answer to a create proves, row by row, against a real server on 127.0.0.1.

A create is "not sent, nothing charged" only when the answer proves the service created nothing:
a 429, a 4xx other than 408 (the service validates before it charges), an envelope code the pack
knows as a refusal, or a CDN's own page saying it never reached the service. Every other answer
(any other 5xx, a code the pack does not know, a redirect, an unreadable body) leaves the outcome
unknown: never resent, journaled as unknown, counted against the budget. Status calls keep their
own rule: they are asked again after anything that may pass (408, 429, 5xx, unreadable answers).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cli_runner import Cli
from harness import FakeClock, loopback_client

from freesora.config import ApiKey, Settings
from freesora.create.plan import PlannedTask
from freesora.create.submit import submit_tasks
from freesora.errors import CreateOutcomeUnknownError, FreeSoraError, TransportError
from freesora.ledger import FileLedger, TakeState
from freesora.schemas import build_create_request
from freesora.schemas.pricing import estimate_body
from freesora.service.client import CREATE_PATH, STATUS_PATH, FreeSoraClient
from freesora.service.retry import ANSWERED, Answer, RetryPolicy, rule_for

KEY = "sk-outcomes-0123456789abcdef"
REQUEST = build_create_request(model="sora-2-text-to-video", prompt="A paper boat")
PRICE = estimate_body(REQUEST.to_payload())
CLOUDFLARE = {"CF-RAY": "8c1f2e3d4a5b6c7d-AMS", "Server": "cloudflare"}
CF_PAGE = (
    "<!DOCTYPE html><html><head><title>{status}: Cloudflare</title></head><body></body></html>"
)
NGINX_PAGE = "<html><head><title>{status}</title></head><body><center>nginx</center></body></html>"


@dataclass(frozen=True)
class Reply:
    """One answer the server gives: status, body and headers exactly as written here."""

    status: int
    body: str = ""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def envelope(code: int, message: str, status: int = 200) -> Reply:
    return Reply(status, json.dumps({"code": code, "message": message, "data": None}))


def page(status: int, template: str = NGINX_PAGE, **headers: str) -> Reply:
    return Reply(status, template.format(status=status), "text/html", dict(headers))


def cloudflare(status: int) -> Reply:
    return page(status, CF_PAGE, **CLOUDFLARE)


@dataclass(frozen=True)
class Case:
    reply: Reply
    create: str  # "resent" (then created), "refused" (nothing charged) or "unknown"
    status_retried: bool  # whether a status call answered so is asked again


def case(case_id: str, reply: Reply, create: str, status_retried: bool) -> Any:
    return pytest.param(Case(reply, create, status_retried), id=case_id)


CASES = [
    # Proven never to have reached the service: sent again, as after a refused connection.
    case("cloudflare-521-web-server-down", cloudflare(521), "resent", True),
    case("cloudflare-523-origin-unreachable", cloudflare(523), "resent", True),
    case("cloudflare-525-tls-handshake-failed", cloudflare(525), "resent", True),
    case("cloudflare-526-invalid-origin-certificate", cloudflare(526), "resent", True),
    case("http-429", envelope(429, "Too many requests", status=429), "resent", True),
    case("code-429", envelope(429, "Too many requests"), "resent", True),
    # The service said no before creating anything.
    case("code-400", envelope(400, "Missing parameter: prompt"), "refused", False),
    case("code-401", envelope(401, "Invalid API key"), "refused", False),
    case("code-402", envelope(402, "Insufficient credits"), "refused", False),
    case("code-422", envelope(422, "prompt: rejected upstream"), "refused", False),
    case("code-455", envelope(455, "Under maintenance"), "refused", False),
    case("code-455-in-a-proxys-503", envelope(455, "Under maintenance", 503), "refused", False),
    case("code-505", envelope(505, "This feature is disabled"), "refused", False),
    case("http-400-json", envelope(400, "Bad request", status=400), "refused", False),
    case("http-403-waf-page", page(403), "refused", False),
    case("http-404-page", page(404), "refused", False),
    case("http-413-nginx-page", page(413), "refused", False),
    case("http-409-text", Reply(409, "conflict", "text/plain"), "refused", False),
    # The service may have created (and charged) it: never resent, recorded unknown.
    case("http-408", page(408), "unknown", True),
    case("http-500-json", envelope(500, "database unavailable", status=500), "unknown", True),
    case("http-502-nginx-page", page(502), "unknown", True),
    case("http-503", page(503), "unknown", True),
    case("http-504-nginx-page", page(504), "unknown", True),
    case("http-507", Reply(507, "Insufficient Storage", "text/plain"), "unknown", True),
    case("cloudflare-520-unknown-error", cloudflare(520), "unknown", True),
    case("cloudflare-522-timed-out", cloudflare(522), "unknown", True),
    case("cloudflare-524-a-timeout-occurred", cloudflare(524), "unknown", True),
    case("http-521-without-the-cdns-marker", page(521), "unknown", True),
    case("http-599", Reply(599, "", "text/plain"), "unknown", True),
    case("code-500", envelope(500, "upstream worker crashed"), "unknown", True),
    case("code-503-in-a-400", envelope(503, "busy", status=400), "unknown", True),
    case("code-507", envelope(507, "storage full"), "unknown", True),
    case("code-501-generation-failed", envelope(501, "generation failed"), "unknown", False),
    case("code-404-not-a-known-refusal", envelope(404, "Model not found"), "unknown", False),
    case("code-1001-unknown", envelope(1001, "Something happened"), "unknown", False),
    case("http-301-redirect", Reply(301, "", "text/plain", {"Location": "/x"}), "unknown", False),
    case("http-303-see-other", Reply(303, "", "text/plain", {"Location": "/x"}), "unknown", False),
    case("http-200-not-json", Reply(200, "<html>ok</html>", "text/html"), "unknown", True),
    case("http-200-ok-without-a-task-id", envelope(0, "ok"), "unknown", False),
]


@dataclass
class Service:
    """A stand-in service on 127.0.0.1: answers the queued replies first, then as the service."""

    url: str
    replies: list[Reply]
    creates: int = 0
    status_calls: int = 0

    def next_reply(self) -> Reply | None:
        return self.replies.pop(0) if self.replies else None


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    state = Service("", [])

    def answer(reply: Reply | None, ok: dict[str, Any]) -> web.Response:
        if reply is None:
            return web.json_response({"code": 0, "message": "ok", "data": ok})
        # `text` keeps the body byte for byte; the headers are set as given (CF-RAY too).
        response = web.Response(status=reply.status, text=reply.body, headers=reply.headers)
        response.content_type = reply.content_type
        return response

    async def create(request: web.Request) -> web.Response:
        state.creates += 1
        return answer(state.next_reply(), {"taskId": f"task-{state.creates}"})

    async def status(request: web.Request) -> web.Response:
        state.status_calls += 1
        body = await request.json()
        return answer(state.next_reply(), {"taskId": body["taskId"], "status": "running"})

    app = web.Application()
    app.router.add_post(CREATE_PATH, create)
    app.router.add_post(STATUS_PATH, status)
    async with TestServer(app, host="127.0.0.1") as server:
        state.url = str(server.make_url("")).rstrip("/")
        yield state


@pytest.fixture
async def client(service: Service) -> AsyncIterator[tuple[FreeSoraClient, FakeClock]]:
    clock = FakeClock()
    async with aiohttp.ClientSession() as session:
        settings = Settings(service.url, ApiKey(KEY), "test", daily_budget=10 * PRICE)
        yield loopback_client(session, settings, clock, attempts=3, patience_s=60.0), clock


@pytest.mark.parametrize("case", CASES)
async def test_a_create_is_not_sent_only_when_the_answer_proves_nothing_was_created(
    service: Service, client: tuple[FreeSoraClient, FakeClock], tmp_path: Path, case: Case
) -> None:
    freesora, _ = client
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    service.replies.append(case.reply)
    error: FreeSoraError | None = None
    try:
        await submit_tasks(freesora, [PlannedTask(REQUEST)], ledger=ledger, seed=1)
    except FreeSoraError as exc:
        error = exc
    [entry] = await ledger.entries()
    spent = (await ledger.spent(await ledger.account(freesora.settings.profile, KEY))).credits
    if case.create == "resent":
        assert error is None
        assert (service.creates, entry.state, entry.task_id) == (2, TakeState.CREATED, "task-2")
        assert spent == PRICE
    elif case.create == "refused":
        assert error is not None
        assert not isinstance(error, CreateOutcomeUnknownError), error
        assert (service.creates, entry.state) == (1, TakeState.REFUSED)
        assert spent == 0
    else:
        assert isinstance(error, CreateOutcomeUnknownError), error
        assert "may exist and may have been charged" in str(error)
        assert (service.creates, entry.state) == (1, TakeState.UNKNOWN)
        assert spent == PRICE


@pytest.mark.parametrize("case", CASES)
async def test_a_status_call_is_asked_again_after_any_answer_that_may_pass(
    service: Service, client: tuple[FreeSoraClient, FakeClock], case: Case
) -> None:
    freesora, clock = client
    service.replies.append(case.reply)
    if not case.status_retried:
        with pytest.raises(FreeSoraError):
            await freesora.status("task-1")
        assert (service.status_calls, clock.sleeps) == (1, [])
        return
    status = await freesora.status("task-1")
    assert status.task_id == "task-1"
    assert service.status_calls == 2


def test_every_row_of_the_answer_table_has_a_case_here() -> None:
    def read(reply: Reply) -> Answer:
        try:
            code = json.loads(reply.body)["code"] or None
        except ValueError:
            code = None
        return Answer(reply.status, code, cdn_marker="CF-RAY" in reply.headers)

    covered = {rule_for(read(param.values[0].reply)) for param in CASES}
    assert covered == set(ANSWERED)


async def test_a_524_answering_a_create_sends_it_once_over_three_runs_and_counts_its_price(
    cli: Cli,
) -> None:
    # Cloudflare's 524: the service got the create (and charged it), its answer timed out.
    cli.env["FREESORA_DAILY_BUDGET"] = str(10 * PRICE)
    cli.sandbox.faults.add("create", "cdn_page", status=524)
    same = ("create", "--model", REQUEST.model.value, "--prompt", "A kite", "--seed", "7")
    runs = [await cli(*same) for _ in range(3)]
    assert [run.code for run in runs] == [1, 1, 1], [run.err for run in runs]
    assert "outcome is unknown" in runs[0].err
    assert "HTTP 524" in runs[0].err
    assert all("outcome unknown" in run.err for run in runs[1:])
    assert len(cli.sandbox.received.creates) == 1
    assert cli.sandbox.tasks_created == 1
    spent = await cli("tasks", "--spent")
    assert f"last 24 h: {PRICE} of {10 * PRICE} credits spent" in spent.out, spent.out


@pytest.fixture
async def refusing_proxy() -> AsyncIterator[tuple[str, list[bytes]]]:
    """An HTTP proxy on 127.0.0.1 that refuses every tunnel (403 to CONNECT), recording each."""
    asked: list[bytes] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        asked.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", asked


async def test_a_proxy_that_refuses_the_tunnel_proves_the_create_never_left(
    refusing_proxy: tuple[str, list[bytes]], tmp_path: Path
) -> None:
    proxy, asked = refusing_proxy
    clock = FakeClock()
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    settings = Settings("https://service.invalid", ApiKey(KEY), "test", proxy=proxy)
    async with aiohttp.ClientSession() as session:
        client = FreeSoraClient(
            session, settings, policy=RetryPolicy(attempts=3), sleep=clock.sleep, clock=clock
        )
        with pytest.raises(TransportError, match="Could not reach the service") as caught:
            await submit_tasks(client, [PlannedTask(REQUEST)], ledger=ledger, seed=1)
    assert not isinstance(caught.value, CreateOutcomeUnknownError)
    assert len(asked) == 3  # sent again, as after a refused connection: it never left
    assert all(head.startswith(b"CONNECT service.invalid:443 ") for head in asked)
    [entry] = await ledger.entries()
    assert entry.state is TakeState.REFUSED
