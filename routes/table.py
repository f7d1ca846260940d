"""The pack's HTTP routes, all under /freesora/, on any aiohttp route table: thin glue over the
pure layer.

Key status, storing and removing the key (as `freesora key set` does), the key check, the price
table and the task list; the unknown takes' routes are in `takes`. Every route is added through
`GuardedRoutes` (guard.py: Host, origin, JSON body), whatever ComfyUI's own middleware does. A
key already stored is replaced or removed only from the machine itself; a remote user
(`--listen`, a tunnel) may store the first one. No key material is ever answered, logged or sent
back to the browser; every text and file an answer carries goes through the request's `Caller`
(guard.caller_of), so a caller elsewhere is told no path, database or other profile's name.
Imports nothing from ComfyUI: `nodes/extension.py` adds these routes to ComfyUI's server, and
tests build them on a plain aiohttp app.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..config import (
    Caller,
    check_key_form,
    check_profile_name,
    key_status,
    remove_key,
    save_profile,
    start_when_queued_setting,
)
from ..errors import ConfigError, FreeSoraError, KeyExistsError
from ..ledger import Ledger
from .guard import GuardedRoutes, caller_of, refusal

if TYPE_CHECKING:
    from ..service.retry import RetryPolicy

log = logging.getLogger("freesora")
ENV_WINS = (
    "FREESORA_API_KEY is set in ComfyUI's environment and wins over the stored key for the "
    "default profile."
)
ONLY_HERE = (
    "A stored key is {what} only from the machine itself (where ComfyUI runs): open ComfyUI there "
    "(http://127.0.0.1:<port>), or run `freesora key set` on it."
)


def _refused(exc: FreeSoraError, caller: Caller, status: int = 400) -> web.Response:
    return refusal(status, "invalid", caller.told(exc))


def build_routes(
    table: web.RouteTableDef,
    *,
    default_ledger: Callable[[], Awaitable[Ledger]],
    env: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> None:
    """Add every /freesora/ route to `table` (ComfyUI's, or a test app's), each one guarded.

    `default_ledger` opens the default profile's ledger, whose takes the task list shows;
    `policy`: the retries of the service calls a route makes (the default's, unless given)."""
    from .takes import add_take_routes

    routes = GuardedRoutes(table, env)
    add_take_routes(routes, default_ledger, env, policy)

    @routes.get("/freesora/key")
    async def get_key(request: web.Request) -> web.StreamResponse:
        caller = caller_of(request, env)
        try:
            profile = check_profile_name(request.query.get("profile"))
        except ConfigError as exc:
            return _refused(exc, caller)
        return web.json_response(key_status(profile, caller))

    @routes.post("/freesora/key")
    async def set_key(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        caller = caller_of(request, env)
        try:
            profile = check_profile_name(body.get("profile"))
            key = check_key_form(body.get("api_key"))
            path = await asyncio.to_thread(
                save_profile, profile, api_key=key, env=env, replace_key=caller.here
            )
        except KeyExistsError as exc:
            return refusal(403, "not_here", f"{exc}. {ONLY_HERE.format(what='replaced')}")
        except ConfigError as exc:
            return _refused(exc, caller)
        log.info("FreeSora: a key was stored for profile %r in %s", profile, path)
        status = key_status(profile, caller)
        note = ENV_WINS if status["source"] == "environment" else ""
        where = {"file": str(path)} if caller.here else {}
        return web.json_response({"stored": True, **where, "note": note, **status})

    @routes.delete("/freesora/key")
    async def delete_key(request: web.Request) -> web.StreamResponse:
        caller = caller_of(request, env)
        if not caller.here:
            return refusal(403, "not_here", ONLY_HERE.format(what="removed"))
        try:
            profile = check_profile_name(request.query.get("profile"))
            removed = await asyncio.to_thread(remove_key, profile, env)
        except ConfigError as exc:
            return _refused(exc, caller)
        return web.json_response({"removed": removed, **key_status(profile, caller)})

    @routes.post("/freesora/key/check")
    async def check(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        from ..config import load_settings
        from ..service.keycheck import check_settings

        caller = caller_of(request, env)
        try:
            profile = check_profile_name(body.get("profile"))
            settings = load_settings(profile, env)
            verdict = await check_settings(settings)
        except FreeSoraError as exc:  # no key, or the service's refusal: the check's answer
            return web.json_response({"ok": False, "message": caller.told(exc)})
        return web.json_response({"ok": True, "message": verdict, "profile": profile})

    @routes.get("/freesora/prices")
    async def prices(request: web.Request) -> web.StreamResponse:
        from .prices import price_answer

        caller = caller_of(request, env)
        return web.json_response(await asyncio.to_thread(price_answer, caller))

    @routes.get("/freesora/tasks")
    async def tasks(request: web.Request) -> web.StreamResponse:
        from ..ledger import page_bounds, task_page

        caller = caller_of(request, env)
        try:
            limit, offset = page_bounds(request.query.get("limit"), request.query.get("offset"))
        except ValueError as exc:
            return refusal(400, "invalid", str(exc))
        from .prices import spent_answer

        try:
            ledger = await default_ledger()
            page = await task_page(ledger, caller, limit=limit, offset=offset)
        except FreeSoraError as exc:  # the ledger cannot be used: say why (the inbox shows it)
            return _refused(exc, caller, status=503)
        try:
            spent = await spent_answer(ledger, env)
        except FreeSoraError:  # no account to count for (a journal without its secret): list anyway
            spent = None
        return web.json_response({**page, "spent": spent})

    @routes.get("/freesora/queue-start")
    async def queue_start(request: web.Request) -> web.StreamResponse:
        """Whether FREESORA_START_WHEN_QUEUED decides for every prompt (True/False), or each
        prompt's own switch does (None): the settings show which. A value the variable may
        not take is answered as `problem`, for the settings to show too."""
        try:
            return web.json_response({"environment": start_when_queued_setting(env)})
        except ConfigError as exc:
            problem = caller_of(request, env).told(exc)
            return web.json_response({"environment": None, "problem": problem})
