"""Reading a ledger the way the old journal tests did: every entry, oldest first."""

from __future__ import annotations

from freesora.ledger import Entry, Ledger


async def oldest_first(ledger: Ledger) -> list[Entry]:
    return list(reversed(await ledger.entries()))
