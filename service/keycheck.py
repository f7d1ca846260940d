"""`freesora check`: is the key accepted? Asked without spending a credit.

A status query for a task id that cannot exist: "not found" means the service accepted the key
and looked; 401 means it did not. Nothing is created.
"""

from __future__ import annotations

import contextlib

import aiohttp

from ..config import Settings
from ..errors import ServiceUnavailableError, TaskNotFoundError, TransportError
from .client import FreeSoraClient, Timeouts, open_session
from .retry import RetryPolicy

PROBE_TASK_ID = "freesora-key-check-00000000"
KEY_WORKS = "the key works: the service accepted it (no credits were spent)"
# A check is asked by someone waiting at a terminal or a button: offline, it must say so in a
# few seconds, not after a create's five tries and 15 s of backoff. It spends nothing either way.
CHECK_POLICY = RetryPolicy(attempts=2, base_delay_s=0.5, max_delay_s=1.0)
# A status answer takes well under a second; 5 s in all bounds a name lookup that hangs too.
CHECK_TIMEOUTS = Timeouts(connect_s=3.0, status_s=5.0)


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
    except TransportError as exc:
        # Offline, or a wrong address: say where it looked; the probe is no task of the user's.
        exc.task_id = None
        where = f" at {client.settings.base_url}"
        exc.message = exc.message.replace(f" while checking task {PROBE_TASK_ID}", where, 1)
        raise
    return KEY_WORKS


def check_client(session: aiohttp.ClientSession, settings: Settings) -> FreeSoraClient:
    """A client that gives up quickly (CHECK_POLICY): a check is a question, not a job."""
    return FreeSoraClient(session, settings, policy=CHECK_POLICY, timeouts=CHECK_TIMEOUTS)


def _without_probe(message: str) -> str:
    # The probe id is not a task of the user's: drop the resume hint that names it.
    head, _, _ = message.partition(f"Task {PROBE_TASK_ID}")
    return head.rstrip() + (" Nothing was created, so no credits were spent." if head else "")


async def check_settings(settings: Settings) -> str:
    """What `freesora check` does for these settings: a verdict, or the service's refusal."""
    settings.require_key()
    async with open_session() as session:
        return await check_key(check_client(session, settings))
