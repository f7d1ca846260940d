"""The FreeSora tab's routes for takes whose create outcome is unknown: list them, adopt a task
id for one, or forget one so that it may be created again. Thin glue over the facade's `adopt`
and `forget` (which ask the service and refuse) and the ledger's listing.

Only a take in state UNKNOWN is adopted or forgotten here: forgetting a take whose task was
created would let the same request be created, and charged, a second time. Every text goes
through the request's `Caller`. Imports nothing from ComfyUI.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from ..config import Caller, load_settings
from ..errors import (
    ConfigError,
    FreeSoraError,
    InvalidRequestError,
    ServiceUnavailableError,
    TaskNotFoundError,
    TransportError,
)
from ..facade import FreeSora
from ..ledger import Entry, Ledger, unknown_row, unknown_takes
from .guard import GuardedRoutes, caller_of, refusal

OpenLedger = Callable[[], Awaitable[Ledger]]
# The facade's refusals of an adoption, by their `reason` (errors.AdoptRefusedError).
REFUSED_STATUS = {"wrong_model": 409, "held": 409, "not_unknown": 400}
TRY_AGAIN = "Nothing was recorded; try again once the service answers."


def add_take_routes(
    routes: GuardedRoutes, default_ledger: OpenLedger, env: Mapping[str, str] | None
) -> None:
    """Add the three /freesora/takes/ routes to `routes` (guarded like every other)."""

    @routes.get("/freesora/takes/unknown")
    async def listing(request: web.Request) -> web.StreamResponse:
        caller = caller_of(request, env)
        try:
            waiting = await unknown_takes(await default_ledger())
        except FreeSoraError as exc:  # the ledger cannot be used: the tab shows why
            return refusal(503, "invalid", caller.told(exc))
        price = await asyncio.to_thread(_pricer, env)
        rows = [unknown_row(entry, caller, price) for entry in waiting]
        return web.json_response({"takes": rows, "count": len(rows)})

    @routes.post("/freesora/takes/{take}/adopt")
    async def adopt(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        caller = caller_of(request, env)
        task_id = body.get("task_id")
        if not isinstance(task_id, str) or not task_id.strip():
            return refusal(400, "invalid", "task_id must be the task's id as the service gave it")
        try:
            async with _facade(default_ledger, env) as fs:
                key = await _waiting(fs.ledger, request.match_info["take"])
                entry = await fs.adopt(key, task_id)
        except FreeSoraError as exc:
            return _adopt_refusal(exc, caller)
        message = (
            f"Take {entry.take_key[:12]} is task {entry.task_id}: the same graph collects it, "
            "with no new create."
        )
        return web.json_response(
            {
                "adopted": True,
                "take": entry.take_key[:12],
                "task_id": entry.task_id,
                "message": message,
            }
        )

    @routes.post("/freesora/takes/{take}/forget")
    async def forget(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        caller = caller_of(request, env)
        try:
            async with _facade(default_ledger, env) as fs:
                key = await _waiting(fs.ledger, request.match_info["take"])
                entry = await fs.forget(key)
        except FreeSoraError as exc:
            return refusal(400, "invalid", caller.told(exc))
        message = (
            f"Take {entry.take_key[:12]} is released: the same request and seed create one new "
            "task the next time it runs."
        )
        return web.json_response(
            {"forgotten": True, "take": entry.take_key[:12], "message": message}
        )


@contextlib.asynccontextmanager
async def _facade(
    default_ledger: OpenLedger, env: Mapping[str, str] | None
) -> AsyncIterator[FreeSora]:
    """The default profile's facade over the routes' ledger; its HTTP session closed after."""
    fs = FreeSora(load_settings(None, env), await default_ledger())
    try:
        yield fs
    finally:
        await fs.aclose()


async def _waiting(ledger: Ledger, take: str) -> str:
    """The full key of the unknown take `take` names (its first characters, as the tab and the
    errors show them), or InvalidRequestError: no such take, or one not waiting for a person."""
    take = take.strip().lower()
    named: list[Entry] = [e for e in await unknown_takes(ledger) if e.take_key.startswith(take)]
    if len(take) >= 6 and len(named) == 1:
        return named[0].take_key
    if len(named) > 1:
        raise InvalidRequestError(f"take {take!r} matches several takes: give more of its id")
    raise InvalidRequestError(
        f"take {take!r} is not waiting for a decision: no create of it has an unknown outcome "
        "(the FreeSora tab lists those that have)"
    )


def _adopt_refusal(exc: FreeSoraError, caller: Caller) -> web.Response:
    told = caller.told(exc)
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason in REFUSED_STATUS:
        status = REFUSED_STATUS[reason]
        return refusal(status, reason if status == 409 else "invalid", told)
    if isinstance(exc, TaskNotFoundError):
        return refusal(404, "unknown_task", told)
    if isinstance(exc, (TransportError, ServiceUnavailableError)):
        return refusal(503, "service_unreachable", f"{told} {TRY_AGAIN}")
    return refusal(400, "invalid", told)


def _pricer(env: Mapping[str, str] | None) -> Callable[[dict[str, str]], float | None]:
    """What a new create of a body costs: the user's prices over the estimate (the estimate
    alone while the user's table is wrong: creates are refused until it is fixed anyway)."""
    from ..schemas.pricing import load_user_prices, merged_prices, price_of

    try:
        table = merged_prices(load_user_prices(env))
    except ConfigError:
        table = None

    def price(body: dict[str, str]) -> float | None:
        try:
            return price_of(body, table)
        except (KeyError, ValueError):  # a model or length the table does not price
            return None

    return price
