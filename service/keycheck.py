"""`freesora check`: is the key accepted? Asked without spending a credit.

A status query for a task id that cannot exist: "not found" means the service accepted the key
and looked; 401 means it did not. Nothing is created.
"""

from __future__ import annotations

import contextlib

from ..errors import TaskNotFoundError
from .client import FreeSoraClient

PROBE_TASK_ID = "freesora-key-check-00000000"
KEY_WORKS = "the key works: the service accepted it (no credits were spent)"


async def check_key(client: FreeSoraClient) -> str:
    """A one-line verdict; raises AuthenticationError (with how to fix it) when refused."""
    # "Not found" means the service looked the id up for this key: the key is good.
    with contextlib.suppress(TaskNotFoundError):
        await client.status(PROBE_TASK_ID)
    return KEY_WORKS
