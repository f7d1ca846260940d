"""The FreeSora tab's routes for takes whose create outcome is unknown: list them, adopt a task
id for one, or forget one so that it may be created again. Thin glue over the facade's `adopt`
and `forget` (which ask the service and refuse) and the ledger's listing.

Only a take in state UNKNOWN is adopted or forgotten here: forgetting a take whose task was
created would let the same request be created, and charged, a second time. A take is adopted
with the key of the profile that sent it (profiles without a journal of their own share the
routes' one). Every text goes through the request's `Caller`. Imports nothing from ComfyUI.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..config import Caller, Settings, load_settings
from ..errors import (
    AdoptRefusedError,
    ConfigError,
    FreeSoraError,
    ServiceUnavailableError,
    TaskNotFoundError,
    TransportError,
    UnknownProfileError,
)
from ..facade import FreeSora
from ..ledger import Entry, Ledger, shown_take, unknown_row, unknown_takes
from .guard import GuardedRoutes, caller_of, refusal

if TYPE_CHECKING:
    from ..service.retry import RetryPolicy

OpenLedger = Callable[[], Awaitable[Ledger]]
# The facade's refusals of an adoption (errors.AdoptRefusedError), by their `reason`.
REFUSED_STATUS = {"wrong_model": 409, "held": 409, "not_unknown": 400}


def add_take_routes(
    routes: GuardedRoutes,
    default_ledger: OpenLedger,
    env: Mapping[str, str] | None,
    policy: RetryPolicy | None = None,
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
            ledger = await default_ledger()
            named = await ledger.named_take(request.match_info["take"])
            settings = await _settings_of(named, ledger, env)
            async with _facade(settings, ledger, policy) as fs:
                entry = await fs.adopt(named.take_key, task_id)
        except FreeSoraError as exc:
            return _adopt_refusal(exc, caller)
        take = shown_take(entry.take_key)
        message = _sentence(FreeSora.adopted_text(entry))
        return web.json_response(
            {"adopted": True, "take": take, "task_id": entry.task_id, "message": message}
        )

    @routes.post("/freesora/takes/{take}/forget")
    async def forget(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        caller = caller_of(request, env)
        try:
            ledger = await default_ledger()
            async with _facade(load_settings(None, env), ledger, policy) as fs:
                entry = await fs.forget(request.match_info["take"], only_unknown=True)
        except FreeSoraError as exc:
            return refusal(400, "invalid", caller.told(exc))
        message = _sentence(FreeSora.forgotten_text(entry))
        return web.json_response(
            {"forgotten": True, "take": shown_take(entry.take_key), "message": message}
        )


@contextlib.asynccontextmanager
async def _facade(
    settings: Settings, ledger: Ledger, policy: RetryPolicy | None
) -> AsyncIterator[FreeSora]:
    """A facade over the routes' ledger with `settings`; its HTTP session closed after."""
    fs = FreeSora(settings, ledger, policy=policy)
    try:
        yield fs
    finally:
        await fs.aclose()


async def _settings_of(entry: Entry, ledger: Ledger, env: Mapping[str, str] | None) -> Settings:
    """The settings of the profile whose account sent `entry` (`ledger.account_id`: its
    `profile:hash`): profiles that name no journal of their own share the routes' one, so the
    tab lists takes of several accounts, and only the take's own key can ask the service about
    its task. Else the default profile's, which the facade's adopt refuses for another
    account's take, naming the command to run with that profile (gone, or its key changed)."""
    profile, _, _ = entry.account.rpartition(":")
    if profile:
        with contextlib.suppress(UnknownProfileError):  # gone from the config
            settings = load_settings(profile, env)
            key = settings.api_key
            if key is not None and await ledger.account(profile, key.reveal()) == entry.account:
                return settings
    return load_settings(None, env)


def _sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}."


def _adopt_refusal(exc: FreeSoraError, caller: Caller) -> web.Response:
    told = caller.told(exc)
    if isinstance(exc, AdoptRefusedError):
        status = REFUSED_STATUS[exc.reason]
        return refusal(status, exc.reason if status == 409 else "invalid", told)
    if isinstance(exc, TaskNotFoundError):
        return refusal(404, "unknown_task", told)
    if isinstance(exc, (TransportError, ServiceUnavailableError)):
        return refusal(503, "service_unreachable", told)  # it says: nothing recorded, try again
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
