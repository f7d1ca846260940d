"""`freesora check`: is the key accepted? Asked without spending a credit.

A status query for a task id that cannot exist: "not found" means the service accepted the key
and looked; 401 means it did not. Nothing is created.
"""

from __future__ import annotations

import contextlib

from ..config import Settings
from ..errors import ServiceUnavailableError, TaskNotFoundError
from .client import FreeSoraClient, open_session

PROBE_TASK_ID = "freesora-key-check-00000000"
KEY_WORKS = "the key works: the service accepted it (no credits were spent)"


async def check_key(client: FreeSoraClient) -> str:
    """A one-line verdict; raises AuthenticationError (with how to fix it) when refused."""
    # "Not found" means the service looked the id up for this key: the key is good.
    try:
        with contextlib.suppress(TaskNotFoundError):
            await client.status(PROBE_TASK_ID)
    except ServiceUnavailableError as exc:
        # Maintenance, a disabled feature, a retired model: said in the service's own words.
        exc.task_id = None
        exc.message = f"Could not tell whether the key works: {_without_probe(exc.message)}"
        raise
    return KEY_WORKS


def _without_probe(message: str) -> str:
    # The probe id is not a task of the user's: drop the resume hint that names it.
    head, _, _ = message.partition(f"Task {PROBE_TASK_ID}")
    return head.rstrip() + (" Nothing was created, so no credits were spent." if head else "")


async def check_settings(settings: Settings) -> str:
    """What `freesora check` does for these settings: a verdict, or the service's refusal."""
    settings.require_key()
    async with open_session(settings) as session:
        return await check_key(FreeSoraClient(session, settings))
