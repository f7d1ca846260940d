"""The one guard in front of every /freesora/ route: which Host, which origin, which body.

Every route is added through `GuardedRoutes`, so none can skip it. In order: the Host must be a
loopback name, an IP literal or a name the user lists (DNS rebinding); a browser must not say
the request comes from another origin; a POST must carry `application/json`, read here with a
cap (chunked bodies too: Content-Length is not trusted) and handed to the route as a dict.
`from_this_machine` tells the routes whether the caller sits at the machine itself, and
`caller_of` hands them that as a `config.Caller`, which decides what an answer may name. Refusals
are JSON naming what to do. Imports nothing from ComfyUI (tests build the routes on plain aiohttp).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ..config import (
    ENV_ALLOWED_HOSTS,
    Caller,
    host_allowed,
    host_name,
    peer_is_this_machine,
    unlisted_kind,
)
from ..errors import ConfigError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BodyHandler = Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]]
MAX_BODY_BYTES = 16 * 1024
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
SAME_SITE = ("same-origin", "none")  # "none": typed into the address bar, not sent by a page
# A proxy in front of ComfyUI (a tunnel's agent, nginx) adds these: its clients are not local.
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
HOW_TO_ALLOW = (
    f"start ComfyUI with {ENV_ALLOWED_HOSTS}={{name}} (several: comma separated; "
    '*.example.com for every name below it), or add it to "allowed_hosts" in the FreeSora '
    "config file"
)


def refusal(status: int, reason: str, message: str) -> web.Response:
    """A JSON error the page shows as it is; never cached, never sniffed as HTML."""
    body = {"error": message, "reason": reason, "status": status}
    return web.json_response(body, status=status, headers=SAFE_HEADERS)


def cross_origin(headers: Mapping[str, str], host: str | None) -> bool:
    """True when a browser says the request comes from a page of another origin."""
    site = headers.get("Sec-Fetch-Site")
    if site is not None and site not in SAME_SITE:
        return True
    origin = headers.get("Origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != (host or "").lower()


def _host_refusal(request: web.Request, env: Mapping[str, str] | None) -> web.Response | None:
    header = request.headers.get("Host")
    name = host_name(header)
    if name is None:
        what = "has no Host header" if not header else "has a malformed Host header"
        return refusal(
            400,
            "bad_host",
            f"FreeSora routes refused this request: it {what}. A browser always sends the "
            f"name it used; to allow a name of your own, {HOW_TO_ALLOW.format(name='<name>')}.",
        )
    try:
        if host_allowed(name, env):
            return None
    except ConfigError as exc:  # the caller may be anyone: said as to one elsewhere
        problem = Caller(here=False, env=env).told(exc)
        return refusal(500, "bad_allowed_hosts", f"FreeSora routes are closed to names: {problem}")
    return refusal(
        403,
        "host_not_allowed",
        f"FreeSora routes answer only requests addressed to this machine by a loopback name "
        f"(localhost), an IP address or a host name you allow; {name!r} is none of these "
        f"(a page of another site may be posing as ComfyUI). If you reach ComfyUI through a "
        f"tunnel or a name of your own, {HOW_TO_ALLOW.format(name=name)}.",
    )


async def _read_capped(request: web.Request) -> bytes | None:
    """The body, or None once it grows past the cap (Content-Length is only a first hint)."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return None
    data = bytearray()
    while chunk := await request.content.read(MAX_BODY_BYTES + 1 - len(data)):
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            return None
    return bytes(data)


async def _read_json(request: web.Request) -> dict[str, Any] | web.Response:
    """A POST's JSON object, or the refusal saying why not."""
    if request.content_type.lower() != "application/json":
        return refusal(
            415,
            "not_json",
            "FreeSora routes take a JSON body sent as Content-Type: application/json "
            "(a page of another site cannot send that type without asking first)",
        )
    raw = await _read_capped(request)
    if raw is None:
        return refusal(413, "too_large", f"the request body must be at most {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except ValueError:  # UnicodeDecodeError included
        data = None
    if not isinstance(data, dict):
        return refusal(400, "bad_body", "the request body must be a JSON object (UTF-8)")
    return data


def _refusal(request: web.Request, env: Mapping[str, str] | None) -> web.Response | None:
    refused = _host_refusal(request, env)
    if refused is None and cross_origin(request.headers, request.headers.get("Host")):
        refused = refusal(403, "cross_origin", "FreeSora routes answer this ComfyUI only")
    return refused


def guard(handler: Handler, env: Mapping[str, str] | None) -> Handler:
    """`handler` behind the Host and origin checks; `env` holds FREESORA_ALLOWED_HOSTS."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        refused = _refusal(request, env)  # not `or`: a response is a mapping, falsy when empty
        response = refused if refused is not None else await handler(request)
        response.headers.update(
            {k: v for k, v in SAFE_HEADERS.items() if k not in response.headers}
        )
        return response

    return guarded


def guard_with_body(handler: BodyHandler, env: Mapping[str, str] | None) -> Handler:
    """`guard`, then the JSON body read with its cap and handed to `handler`."""

    async def with_body(request: web.Request) -> web.StreamResponse:
        body = await _read_json(request)
        return body if isinstance(body, web.Response) else await handler(request, body)

    return guard(with_body, env)


def from_this_machine(request: web.Request) -> bool:
    """The caller sits at this machine: a local peer, no proxy in between, and a Host that is a
    loopback name or an IP literal (a listed name is a tunnel's, whose agent runs locally)."""
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    name = host_name(request.headers.get("Host"))
    if name is None or unlisted_kind(name) is None:
        return False
    own = request.transport.get_extra_info("sockname") if request.transport else None
    return peer_is_this_machine(request.remote, own[0] if own else None)


def caller_of(request: web.Request, env: Mapping[str, str] | None) -> Caller:
    """Who sent `request`, as the routes' answers must treat them (`config.Caller`)."""
    return Caller(here=from_this_machine(request), env=env)


class GuardedRoutes:
    """A route table whose every route is guarded: `@routes.get(path)` as in aiohttp, and
    `@routes.post(path)` for a handler that takes `(request, body)`."""

    def __init__(self, table: web.RouteTableDef, env: Mapping[str, str] | None) -> None:
        self._table, self._env = table, env

    def _add(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._table.route(method, path)(guard(handler, self._env))
            return handler

        return register

    def get(self, path: str) -> Callable[[Handler], Handler]:
        return self._add("GET", path)

    def delete(self, path: str) -> Callable[[Handler], Handler]:
        return self._add("DELETE", path)

    def post(self, path: str) -> Callable[[BodyHandler], BodyHandler]:
        def register(handler: BodyHandler) -> BodyHandler:
            self._table.route("POST", path)(guard_with_body(handler, self._env))
            return handler

        return register
