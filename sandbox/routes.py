"""The sandbox's HTTP surface: endpoint paths, recording what arrives, and acting out faults.

Service decisions (auth, validation, credits, task states) are delegated to `SandboxState`;
this module only turns requests into those calls and their replies into HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from aiohttp import web

from .canned import (
    HUGE_ANSWER_BYTES,
    canned_fault_response,
    drip_video,
    drop_connection,
    echo_key_response,
    forwarded_by_cdn,
    huge_answer,
    redirect_response,
    reply_response,
    reshape_status,
    sample_video,
    truncated_video,
)
from .faults import Fault, FaultQueue
from .state import NOT_JSON, ReceivedRequest, Reply, SandboxState

T = TypeVar("T")

CREATE_PATH = "/api/v1/video/sora-pro"
STATUS_PATH = "/api/video-generations/check-result"
FILES_PATH = "/files/{task_id}.mp4"
STATE_PATH = "/sandbox/state"
# imageData may decode to 10 MB, i.e. ~13.4 MB of base64; aiohttp's 1 MB default would refuse it.
MAX_REQUEST_BYTES = 20 * 1024 * 1024


class Sandbox(Protocol):
    """What the routes need of `app.Sandbox` (a protocol, so this module never imports it)."""

    state: SandboxState
    faults: FaultQueue
    latency_s: float
    create_seconds: float
    clock: Callable[[], float]

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]: ...

    def summary(self) -> dict[str, Any]: ...

    async def cancel_background(self) -> None: ...


def build_app(sandbox: Sandbox) -> web.Application:
    routes = _Routes(sandbox)
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app.router.add_post(CREATE_PATH, routes.create)
    app.router.add_post(STATUS_PATH, routes.status)
    app.router.add_get(FILES_PATH, routes.download)
    app.router.add_get(STATE_PATH, routes.summary)
    app.on_shutdown.append(routes.shutdown)
    return app


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return NOT_JSON


def _record(request: web.Request, raw: bytes, body: Any) -> ReceivedRequest:
    headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
    return ReceivedRequest(
        path=request.path,
        body=None if body is NOT_JSON else body,
        raw=raw,
        headers=headers,
        had_authorization="Authorization" in request.headers,
    )


_RESHAPES = ("object_result_urls", "string_progress", "object_failure_reason")


def _graceful(fault: Fault) -> bool:
    return bool(fault.params.get("graceful", False))


class _Routes:
    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._state = sandbox.state

    async def create(self, request: web.Request) -> web.StreamResponse:
        # Counts concurrent creates (Received.creates_in_flight) for load tests; a handler
        # ends before its answer reaches the client, so this never over-counts the client's.
        received = self._state.received
        received.creates_in_flight += 1
        received.max_creates_in_flight = max(
            received.max_creates_in_flight, received.creates_in_flight
        )
        try:
            return await self._handle_create(request)
        finally:
            received.creates_in_flight -= 1

    async def _handle_create(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = _parse_json(raw)
        self._state.received.creates.append(_record(request, raw, body))
        auth = request.headers.get("Authorization")
        fault = self._sandbox.faults.take("create")
        if fault is None:
            await self._latency()
            if self._sandbox.create_seconds > 0:
                slow = self._sandbox.spawn(
                    self._create_later(self._sandbox.create_seconds, auth, body)
                )
                return reply_response(await asyncio.shield(slow))
            return reply_response(self._create(auth, body))
        if fault.kind == "task_id":
            now = self._sandbox.clock()
            return reply_response(self._state.create(auth, body, now, fault.params["value"]))
        if fault.kind == "echo_key":
            return echo_key_response(fault, auth)
        if fault.kind in ("huge_answer", "gzip_bomb") or forwarded_by_cdn(fault):
            self._create(auth, body)  # the service acted; only its answer is unreadable or lost
            if fault.kind == "huge_answer":
                return await huge_answer(request, int(fault.params.get("size", HUGE_ANSWER_BYTES)))
        canned = canned_fault_response(fault)
        if canned is not None:
            return canned
        if fault.kind == "reset_after":
            self._create(auth, body)
        if fault.kind in ("reset_before", "reset_after"):
            return drop_connection(request, graceful=_graceful(fault))
        # Only "delay" is left. The task must appear even if the client hangs up meanwhile,
        # so the wait-then-create runs as its own task that cancelling this handler cannot stop.
        seconds = float(fault.params["seconds"])
        if fault.params.get("then", "create") == "drop":
            await asyncio.sleep(seconds)
            return drop_connection(request)
        work = self._sandbox.spawn(self._create_later(seconds, auth, body))
        return reply_response(await asyncio.shield(work))

    def _create(self, auth: str | None, body: Any) -> Reply:
        return self._state.create(auth, body, self._sandbox.clock())

    async def _create_later(self, seconds: float, auth: str | None, body: Any) -> Reply:
        await asyncio.sleep(seconds)
        return self._create(auth, body)

    async def status(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = _parse_json(raw)
        self._state.received.status_calls.append(_record(request, raw, body))
        fault = self._sandbox.faults.take("status")
        early = await _answer_fault(request, fault)
        if early is not None:
            return early
        await self._latency()
        base = f"{request.scheme}://{request.host}"
        reply = self._state.status(
            request.headers.get("Authorization"),
            body,
            self._sandbox.clock(),
            lambda task_id: base + self._state.file_path(task_id),
        )
        if fault is not None and fault.kind == "result_url" and reply.data:
            reply = Reply(reply.code, reply.message, _with_result_url(reply.data, fault))
        if fault is not None and fault.kind == "unknown_status" and reply.code == 0:
            value = fault.params.get("value", "teleporting")
            reply = Reply(reply.code, reply.message, {**reply.data, "status": value})
        if fault is not None and fault.kind in _RESHAPES and reply.code == 0:
            reply = Reply(reply.code, reply.message, reshape_status(fault.kind, reply.data))
        return reply_response(reply)

    async def download(self, request: web.Request) -> web.StreamResponse:
        self._state.received.downloads.append(_record(request, b"", None))
        fault = self._sandbox.faults.take("download")
        early = await _answer_fault(request, fault)
        if early is not None:
            return early
        task_id = request.match_info["task_id"]
        if not self._state.is_downloadable(task_id, self._sandbox.clock()):
            # Storage, not the API: a bare 404 page, no envelope.
            return web.Response(status=404, text=f"No such file: {task_id}.mp4")
        expired = self._expired(request, task_id, fault)
        if expired is not None:
            return web.Response(status=expired, text=f"Link expired: {task_id}.mp4")
        if fault is not None and fault.kind == "truncated":
            return await truncated_video(request)
        if fault is not None and fault.kind == "redirect":
            return redirect_response(fault, task_id, request.url.port)
        if fault is not None and fault.kind == "drip":
            return await drip_video(request, float(fault.params.get("seconds", 1.0)))
        return web.Response(body=sample_video(), content_type="video/mp4")

    def _expired(self, request: web.Request, task_id: str, fault: Fault | None) -> int | None:
        """The status an expired URL answers: an older version, or one this fault expires."""
        version = request.query.get("v", "0")
        stale = self._state.expired_status(task_id, int(version) if version.isdigit() else 0)
        if stale is not None:
            return stale
        if fault is not None and fault.kind == "expired_url":
            status = int(fault.params.get("status", 403))
            self._state.expire_url(task_id, status)
            return status
        return None

    async def summary(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._sandbox.summary())

    async def shutdown(self, app: web.Application) -> None:
        await self._sandbox.cancel_background()

    async def _latency(self) -> None:
        if self._sandbox.latency_s > 0:
            await asyncio.sleep(self._sandbox.latency_s)


def _with_result_url(data: Any, fault: Fault) -> Any:
    if not isinstance(data, dict) or not data.get("result_urls"):
        return data
    return {**data, "result_urls": [str(fault.params["url"])]}


async def _answer_fault(request: web.Request, fault: Fault | None) -> web.StreamResponse | None:
    """The faults status calls and downloads share: a canned answer, a hang-up, or a delay."""
    if fault is None:
        return None
    if fault.kind == "echo_key":
        return echo_key_response(fault, request.headers.get("Authorization"))
    canned = canned_fault_response(fault)
    if canned is not None:
        return canned
    if fault.kind == "reset_before":
        return drop_connection(request, graceful=_graceful(fault))
    if fault.kind == "huge_answer":
        return await huge_answer(request, int(fault.params.get("size", HUGE_ANSWER_BYTES)))
    if fault.kind == "delay":
        await asyncio.sleep(float(fault.params["seconds"]))
    return None
