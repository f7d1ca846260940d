"""`freesora tasks`: list the ledger, adopt a task id for a take, forget a take, compact it.

Prints entries to stdout, everything else (the journal's path, damage found) to stderr.
"""

from __future__ import annotations

import argparse
import sys

from ..config import load_settings
from ..errors import InvalidRequestError
from ..ledger import Ledger, format_entry, ledger_location, open_ledger


async def open_cli_ledger(profile: str | None) -> Ledger:
    """The profile's ledger (its `journal`, FREESORA_JOURNAL, or the per-user data folder)."""
    return await open_ledger(ledger_location(load_settings(profile)))


async def run_tasks(args: argparse.Namespace) -> int:
    ledger = await open_cli_ledger(args.profile)
    action, names = args.action, list(args.names)
    wanted = {"list": 0, "adopt": 2, "forget": 1, "compact": 0, "rekey": 0}[action]
    if len(names) != wanted:
        usage = {"adopt": "TAKE TASK_ID", "forget": "TAKE"}.get(action, "no names")
        raise InvalidRequestError(f"tasks {action} takes {usage}, got {len(names)} name(s)")
    if action == "adopt":
        from ..schemas.task_id import clean_task_id

        entry = await ledger.adopt(names[0], clean_task_id(names[1]))
        print(f"take {names[0]} is now task {entry.task_id}: it is reused, never created again")
        return 0
    if action == "forget":
        await ledger.forget(names[0])
        print(f"take {names[0]} released: the same request and seed will be created again")
        return 0
    if action == "rekey":
        return await _rekey(ledger)
    if args.spent:
        print(await spent_line(ledger, args.profile))
        return 0
    if action == "compact":
        kept = await ledger.compact()
        print(f"compacted {ledger.where}: {kept} take(s) kept, every task id among them")
        return 0
    entries = await ledger.entries(
        limit=args.limit, only_unfinished=args.unfinished, model=args.model
    )
    print(f"journal: {ledger.where} ({len(entries)} shown)", file=sys.stderr)
    for problem in await ledger.problems():
        print(f"journal damage: {problem}", file=sys.stderr)
    for entry in entries:
        print(format_entry(entry))
    return 0


async def _rekey(ledger: Ledger) -> int:
    from ..ledger import FileLedger

    if not isinstance(ledger, FileLedger):
        raise InvalidRequestError(
            f"tasks rekey applies to a journal file; {ledger.where} is a database, whose "
            "secret is kept in the database itself"
        )
    print(await ledger.rekey())
    return 0


async def spent_line(ledger: Ledger, profile: str | None) -> str:
    """`last 24 h: 120 of 500 credits (daily budget ...)`: the profile's account's spending,
    after asking the service again about its failures whose refund it never confirmed."""
    from ..ledger.refunds import recheck
    from ..schemas.pricing import shown
    from ..service.client import FreeSoraClient, open_session

    settings = load_settings(profile)
    account = await ledger.account(settings.profile, settings.require_key().reveal())
    async with open_session(settings) as session:
        await recheck(ledger, account, FreeSoraClient(session, settings).status)
    spent = await ledger.spent(account)
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
