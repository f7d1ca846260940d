"""The pack's HTTP routes on ComfyUI's server, all under /freesora/: thin glue over the pure layer.

Key status, storing and removing the key (as `freesora key set` does), the key check, the price
table and the task list. Every route refuses requests from another origin, whatever ComfyUI's
own middleware does. No key material is ever answered, logged or sent back to the browser.
Imports nothing from ComfyUI at module level (tests build these routes on a plain aiohttp app).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ..config import check_key_form, check_profile_name, key_status, remove_key, save_profile
from ..errors import ConfigError, FreeSoraError
from ..ledger.base import Ledger

log = logging.getLogger("freesora")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY_BYTES = 16 * 1024
SAME_SITE = ("same-origin", "none")  # "none": typed into the address bar, not sent by a page
ENV_WINS = (
    "FREESORA_API_KEY is set in ComfyUI's environment and wins over the stored key for the "
    "default profile."
)


def cross_origin(headers: Mapping[str, str], host: str | None) -> bool:
    """True when a browser says the request comes from a page of another origin."""
    site = headers.get("Sec-Fetch-Site")
    if site is not None and site not in SAME_SITE:
        return True
    origin = headers.get("Origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != (host or "").lower()


def same_origin_only(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        if cross_origin(request.headers, request.host):
            return web.json_response(
                {"error": "FreeSora routes answer this ComfyUI only"}, status=403
            )
        return await handler(request)

    return guarded


async def _body(request: web.Request) -> dict[str, Any]:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ConfigError(f"the request body must be at most {MAX_BODY_BYTES} bytes")
    try:
        data = await request.json() if request.can_read_body else {}
    except ValueError:
        raise ConfigError("the request body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ConfigError("the request body must be a JSON object")
    return data


def _refused(exc: FreeSoraError, status: int = 400) -> web.Response:
    return web.json_response({"error": str(exc)}, status=status)


def build_routes(
    routes: web.RouteTableDef,
    *,
    open_ledger: Callable[[], Awaitable[Ledger]],
    env: Mapping[str, str] | None = None,
) -> None:
    """Add every /freesora/ route to `routes` (ComfyUI's table, or a test app's)."""

    @routes.get("/freesora/key")
    @same_origin_only
    async def get_key(request: web.Request) -> web.StreamResponse:
        try:
            profile = check_profile_name(request.query.get("profile"))
        except ConfigError as exc:
            return _refused(exc)
        return web.json_response(key_status(profile, env))

    @routes.post("/freesora/key")
    @same_origin_only
    async def set_key(request: web.Request) -> web.StreamResponse:
        try:
            body = await _body(request)
            profile = check_profile_name(body.get("profile"))
            key = check_key_form(body.get("api_key"))
            path = await asyncio.to_thread(save_profile, profile, api_key=key, env=env)
        except ConfigError as exc:
            return _refused(exc)
        log.info("FreeSora: a key was stored for profile %r in %s", profile, path)
        status = key_status(profile, env)
        note = ENV_WINS if status["source"] == "environment" else ""
        return web.json_response({"stored": True, "file": str(path), "note": note, **status})

    @routes.delete("/freesora/key")
    @same_origin_only
    async def delete_key(request: web.Request) -> web.StreamResponse:
        try:
            profile = check_profile_name(request.query.get("profile"))
            removed = await asyncio.to_thread(remove_key, profile, env)
        except ConfigError as exc:
            return _refused(exc)
        return web.json_response({"removed": removed, **key_status(profile, env)})

    @routes.post("/freesora/key/check")
    @same_origin_only
    async def check(request: web.Request) -> web.StreamResponse:
        from ..config import load_settings
        from ..service.keycheck import check_settings

        try:
            profile = check_profile_name((await _body(request)).get("profile"))
            settings = load_settings(profile, env)
            verdict = await check_settings(settings)
        except FreeSoraError as exc:  # no key, or the service's refusal: the check's answer
            return web.json_response({"ok": False, "message": str(exc)})
        return web.json_response({"ok": True, "message": verdict, "profile": profile})

    @routes.get("/freesora/prices")
    @same_origin_only
    async def prices(request: web.Request) -> web.StreamResponse:
        from .prices_route import price_answer

        return web.json_response(await asyncio.to_thread(price_answer, request.remote, env))

    @routes.get("/freesora/tasks")
    @same_origin_only
    async def tasks(request: web.Request) -> web.StreamResponse:
        from ..ledger.listing import page_bounds, task_page

        try:
            limit, offset = page_bounds(request.query.get("limit"), request.query.get("offset"))
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        ledger = await open_ledger()
        page = await task_page(ledger, limit=limit, offset=offset)
        from .prices_route import spent_answer

        return web.json_response({**page, "spent": await spent_answer(ledger, env)})


_REGISTERED: set[int] = set()


def register() -> None:
    """Add the routes to ComfyUI's server once (ComfyUI applies its table after loading packs).

    Only a running ComfyUI has imported its `server` module before loading packs; importing it
    here otherwise would start ComfyUI's device set-up (CUDA) in a process that only lists the
    nodes (tests, benchmarks).
    """
    prompt_server = getattr(sys.modules.get("server"), "PromptServer", None)
    server = getattr(prompt_server, "instance", None)
    if server is None or id(server.routes) in _REGISTERED:
        return
    from ..config import load_settings
    from .hooks import open_ledger_for

    build_routes(server.routes, open_ledger=lambda: open_ledger_for(load_settings()))
    _REGISTERED.add(id(server.routes))
