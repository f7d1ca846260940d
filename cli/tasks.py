"""`freesora tasks`: list the ledger, adopt a task id for a take, forget a take, compact it.

Prints entries to stdout, everything else (the journal's path, damage found) to stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..errors import InvalidRequestError
from ..facade import FreeSora
from ..ledger import format_entry
from .selected import settings_of

if TYPE_CHECKING:
    from ..config import Settings
    from ..ledger import Spending


async def run_tasks(args: argparse.Namespace) -> int:
    async with FreeSora.open(settings=settings_of(args), need_key=False) as fs:
        return await _tasks(fs, args)


async def _tasks(fs: FreeSora, args: argparse.Namespace) -> int:
    action, names = args.action, list(args.names)
    wanted = {"list": 0, "adopt": 2, "forget": 1, "compact": 0, "rekey": 0}[action]
    if len(names) != wanted:
        usage = {"adopt": "TAKE TASK_ID", "forget": "TAKE"}.get(action, "no names")
        raise InvalidRequestError(f"tasks {action} takes {usage}, got {len(names)} name(s)")
    if action == "adopt":
        print(fs.adopted_text(await fs.adopt(names[0], names[1])))
        return 0
    if action == "forget":
        print(fs.forgotten_text(await fs.forget(names[0])))
        return 0
    if action == "rekey":
        print(await fs.rekey())
        return 0
    if args.spent:
        print(spent_line(await fs.spent(), fs.settings))
        return 0
    if action == "compact":
        kept = await fs.compact()
        print(f"compacted {fs.where}: {kept} take(s) kept, every task id among them")
        return 0
    entries = await fs.tasks(limit=args.limit, only_unfinished=args.unfinished, model=args.model)
    print(f"journal: {fs.where} ({len(entries)} shown)", file=sys.stderr)
    for problem in await fs.problems():
        print(f"journal damage: {problem}", file=sys.stderr)
    for entry in entries:
        print(format_entry(entry))
    return 0


def spent_line(spent: Spending, settings: Settings) -> str:
    """`last 24 h: 120 of 500 credits (daily budget ...)`: the profile's account's spending."""
    from ..schemas.pricing import shown

    if settings.daily_budget is None:
        return (
            f"last 24 h: {shown(spent.credits)} credits spent (profile {settings.profile}); "
            f"no daily budget: {settings.budget_source}"
        )
    left = max(0.0, settings.daily_budget - spent.credits)
    return (
        f"last 24 h: {shown(spent.credits)} of {shown(settings.daily_budget)} credits spent "
        f"(profile {settings.profile}; {shown(left)} left; to change the budget: "
        f"{settings.budget_source})"
    )
