"""What a failed API call is reported as: a create whose outcome is unknown, a network failure,
an error still there after every try. Each message says what to do next.
"""

from __future__ import annotations

import asyncio

import aiohttp

from ..errors import CreateOutcomeUnknownError, FreeSoraError, TransportError, shortened
from .retry import Outcome, nothing_created

# How much of a network library's own words a message repeats (the log keeps the rest).
EXCEPTION_TEXT_CHARS = 80
# What happened, at most, in a message that must still say what to do.
WHAT_MAX_CHARS = 300
MAY_EXIST_HELP = (
    "A task may exist and may have been charged, so it was not sent again: a second create is "
    "a second charge. Look for it in your task history on the service before you run this again."
)


def gave_up(exc: FreeSoraError, attempts: int) -> FreeSoraError:
    said = exc.message.rstrip()
    said += "" if said.endswith((".", "…")) else "."
    exc.message = f"{said} Still failing after {attempts} tries: try again later."
    return exc


def transport_error(
    exc: BaseException, outcome: Outcome, idempotent: bool, task_id: str | None, seconds: float
) -> FreeSoraError:
    detail = describe_exception(exc, seconds)
    if not idempotent and not nothing_created(outcome):
        return outcome_unknown(f"the connection failed after the request was sent ({detail})")
    where = f" while checking task {task_id}" if task_id else ""
    return TransportError(
        f"Could not reach the service{where} ({detail}). Check your network, proxy "
        "(HTTPS_PROXY) and FREESORA_BASE_URL, then try again.",
        task_id=task_id,
        what=f"could not reach the service ({detail})",
    )


def final_error(exc: FreeSoraError, outcome: Outcome, idempotent: bool) -> FreeSoraError:
    """What an answer that ends a request is reported as: for a create that may have made a task
    (`retry.RULES`: not proven refused), an unknown outcome; else the service's own error."""
    if idempotent or nothing_created(outcome):
        return exc
    return outcome_unknown(exc.what or _lowered(exc.message))


# A created task the pack cannot collect: `freesora tasks adopt` and Video Result refuse the id.
UNUSABLE_ID = "returned a task id the pack cannot use"
UNUSABLE_ID_HELP = (
    "A task may exist and may have been charged, so it was not sent again; the pack cannot "
    "collect or adopt a task by such an id: contact the service with the id shown."
)


def outcome_unknown(what: str, help_text: str = MAY_EXIST_HELP) -> CreateOutcomeUnknownError:
    """A create that may have made a task; `what` happened, in a few words (`error.what`)."""
    said = shortened(what, WHAT_MAX_CHARS)
    said += "" if said.endswith("…") else "."
    return CreateOutcomeUnknownError(
        f"The create's outcome is unknown: {said} {help_text}", what=what
    )


def _lowered(message: str) -> str:
    """A message as the part of another: its first letter small, its full stop gone."""
    text = message.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def describe_exception(exc: BaseException, seconds: float) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return f"no answer within {seconds:g} s"
    if isinstance(exc, aiohttp.ClientResponseError):
        # Its text names the URL it asked, a proxy's with its user and password: not shown.
        return f"{type(exc).__name__}: HTTP {exc.status} {exc.message}".rstrip()
    text = shortened(" ".join(str(exc).split()), EXCEPTION_TEXT_CHARS)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
