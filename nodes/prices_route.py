"""What `GET /freesora/prices` and the inbox's spending line answer: thin glue over the pure
layer (`schemas.pricing`, `ledger.budget` through the store). Imports nothing from ComfyUI.

The config file's path is answered only to a caller at the machine itself (the key routes'
rule, `route_guard.from_this_machine`: a local peer, no proxy, no tunnel's name): it names the
user's folder, which a tunnelled or proxied page has no need to know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import config_path, load_settings
from ..errors import ConfigError
from ..ledger import Ledger
from ..schemas.pricing import load_user_prices, price_sheet


def price_answer(local: bool, env: Mapping[str, str] | None) -> dict[str, Any]:
    """The merged table and which entries are the user's; a wrong table: the estimate, and
    the problem (creates are refused until it is fixed). The config file's path only for a
    caller at the machine itself (`route_guard.from_this_machine`), as the key routes do."""
    where = str(config_path(env)) if local else None
    try:
        return price_sheet(load_user_prices(env), config_file=where)
    except ConfigError as exc:
        return {**price_sheet(config_file=where), "problem": str(exc)}


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
