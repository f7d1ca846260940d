"""What `GET /freesora/prices` and the inbox's spending line answer: thin glue over the pure
layer (`schemas.pricing`, `ledger.budget` through the store). Imports nothing from ComfyUI.

The config file's path, and any path a problem names, are answered only to a caller at the
machine itself (the request's `config.Caller`, as every route: a local peer, no proxy, no
tunnel's name): they name the user's folders, which a tunnelled or proxied page has no need
to know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import Caller, load_settings
from ..errors import ConfigError
from ..ledger import Ledger
from ..schemas.pricing import load_user_prices, price_sheet


def price_answer(caller: Caller) -> dict[str, Any]:
    """The merged table and which entries are the user's; a wrong table: the estimate, and
    the problem (creates are refused until it is fixed), both as `caller` may read them."""
    where = caller.config_file()
    try:
        return price_sheet(load_user_prices(caller.env), config_file=where)
    except ConfigError as exc:
        return {**price_sheet(config_file=where), "problem": caller.told(exc)}


async def spent_answer(ledger: Ledger, env: Mapping[str, str] | None) -> dict[str, Any] | None:
    """The default profile's credits of the last 24 hours and its budget (None without a key:
    no account to count for)."""
    try:
        settings = load_settings(None, env)
    except ConfigError:
        return None
    if settings.api_key is None:
        return None
    account = await ledger.account(settings.profile, settings.api_key.reveal())
    spent = await ledger.spent(account)
    return {"credits": spent.credits, "budget": settings.daily_budget, "profile": settings.profile}
