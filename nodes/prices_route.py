"""What `GET /freesora/prices` and the inbox's spending line answer: thin glue over the pure
layer (`schemas.pricing`, `ledger.budget` through the store). Imports nothing from ComfyUI.

The config file's path is answered only to a page on this machine (a loopback peer): it names
the user's folder, which a tunnelled page has no need to know.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from ..config import config_path, load_settings
from ..errors import ConfigError
from ..ledger.base import Ledger
from ..schemas.pricing import load_user_prices, price_sheet


def is_loopback(remote: str | None) -> bool:
    try:
        return ipaddress.ip_address((remote or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def price_answer(remote: str | None, env: Mapping[str, str] | None) -> dict[str, Any]:
    """The merged table and which entries are the user's; a wrong table: the estimate, and
    the problem (creates are refused until it is fixed)."""
    where = str(config_path(env)) if is_loopback(remote) else None
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
