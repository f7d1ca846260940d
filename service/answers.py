"""Reading the service's answers: the envelope, or the error it carries, in the user's words.

Pure functions (no I/O): HTTP 200 with a non-zero `code`, non-2xx statuses, HTML pages from
proxies and unreadable bodies each become one error that names the status, the code, the
service's own message and what to do next.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from pydantic import ValidationError

from ..config import KEY_HELP
from ..errors import (
    SAID_MAX_CHARS,
    AuthenticationError,
    InsufficientCreditsError,
    ModelUnavailableError,
    RateLimitedError,
    ServiceError,
    ServiceUnavailableError,
    TaskNotFoundError,
    UnexpectedResponseError,
    shortened,
)
from ..schemas.response import Envelope, TaskStatus
from .polling import resume_hint
from .retry import Answer, classify, nothing_created

logger = logging.getLogger("freesora.service")
MAINTENANCE_CODE, FEATURE_DISABLED_CODE = 455, 505
# How much of an answer that is not the envelope the log keeps: a proxy's page, told in full
# enough to recognise it, never in a message.
LOGGED_BODY_CHARS = 2000
# How resellers word "this model is gone" (OpenAI shut its Sora 2 API down on 2026-09-24).
_MODEL_GONE = re.compile(
    r"retired|deprecated|discontinued|no longer (available|supported|offered)|not available|"
    r"unavailable|not supported|shut ?down|sunset|offline|moved to",
    re.IGNORECASE,
)
SHUTDOWN_NOTE = (
    "OpenAI shut its Sora 2 API down on 2026-09-24: resellers may retire models or move them"
)


def read_answer(status: int, content_type: str, text: str, *, task_id: str | None) -> Envelope:
    """The envelope of an answer, or the error it carries (HTML pages and HTTP 200 errors too)."""
    envelope: Envelope | None = None
    try:
        envelope = Envelope.model_validate(json.loads(text))
    except (ValueError, ValidationError, RecursionError):
        envelope = None
    if envelope is None:
        _log_body(status, content_type, text, task_id)
        if 300 <= status < 400:
            raise ServiceError(
                f"The service answered with a redirect (HTTP {status}). Redirects are not "
                "followed, so the key never goes to another host: check FREESORA_BASE_URL "
                "(https, www).",
                status=status,
                task_id=task_id,
            )
        if 200 <= status < 300:
            snippet = _snippet(text, content_type)
            raise unexpected_answer(
                f"the service answered HTTP {status} with something that is not its JSON "
                f"envelope: {snippet}",
                task_id,
                status=status,
                said=snippet,
            )
        raise service_error(status, None, _snippet(text, content_type), task_id, page=True)
    if envelope.code != 0 or not 200 <= status < 300:
        raise service_error(status, envelope.code or None, envelope.message, task_id)
    return envelope


def parse_status(data: Any, task_id: str) -> TaskStatus:
    """check-result's `data`, read tolerantly; what is still unreadable is an unexpected answer."""
    if not isinstance(data, dict):
        raise unexpected_answer(
            f"check-result for task {task_id} returned no status object", task_id
        )
    try:
        status = TaskStatus.model_validate(data)
    except ValidationError:
        raise unexpected_answer(
            f"check-result for task {task_id} returned a status the pack cannot read", task_id
        ) from None
    return status if status.task_id else status.model_copy(update={"task_id": task_id})


def unexpected_answer(
    what: str, task_id: str | None, *, status: int | None = None, said: str | None = None
) -> UnexpectedResponseError:
    """An answer the pack cannot read (`what` happened, in lower case), with the way back to the
    task when there is one."""
    hint = f" {resume_hint(task_id)}" if task_id else ""
    return UnexpectedResponseError(
        f"{what[:1].upper()}{what[1:]}.{hint}", status=status, task_id=task_id, said=said, what=what
    )


def service_error(
    status: int, code: int | None, message: str, task_id: str | None, *, page: bool = False
) -> ServiceError:
    """The error for a refusal, with the service's own words and what to do next (`page`: the
    words are what the pack saw instead, an answer that is not the envelope)."""
    which = code or status
    own = shortened(" ".join(message.split()), SAID_MAX_CHARS)
    if own != message and not page:  # the whole of it, for whoever reads the log
        logger.info("the service said (HTTP %s, code %s): %s", status, code, message)
    http = f"HTTP {status}" + (f", code {code}" if code else "")
    said = f"{own} ({http})" if own else f"({http})"
    if page:
        what = f"the service answered HTTP {status} with {own}"
    elif own:
        what = f'the service answered "{own}" ({http})'
    else:
        what = f"the service answered {http}"
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "task_id": task_id,
        "said": None if page else own or None,
        "what": what,
    }
    unavailable = _unavailable(code, message, said, task_id, kwargs)
    if unavailable is not None:
        return unavailable
    if which == 401:
        return AuthenticationError(f"The service refused the API key: {said}. {KEY_HELP}", **kwargs)
    if which == 402:
        return InsufficientCreditsError(
            f"Not enough credits for this task: {said}. Top up your FreeSoraGenerator account, "
            "or choose a shorter clip or standard size.",
            **kwargs,
        )
    if which == 404 and task_id:
        return TaskNotFoundError(
            f"The service does not know task {task_id}: {said}. Check the id and that it was "
            "created with the same API key.",
            **kwargs,
        )
    if which == 429:
        return RateLimitedError(f"The service is rate limiting this key: {said}", **kwargs)
    where = f" for task {task_id}" if task_id else ""
    return ServiceError(f"The service answered with an error{where}: {said}", **kwargs)


def _unavailable(
    code: int | None, message: str, said: str, task_id: str | None, kwargs: dict[str, Any]
) -> ServiceError | None:
    """Maintenance, a disabled feature, a retired model: answers that resending cannot change."""
    nothing = " Nothing was created, so no credits were spent."
    if task_id:
        nothing = f" {resume_hint(task_id)}"
    elif not nothing_created(classify(Answer(kwargs["status"], code))):
        nothing = ""  # words alone prove nothing: the create's unknown outcome says what to do
    if code == MAINTENANCE_CODE:
        return ServiceUnavailableError(
            f"The service is under maintenance: {said}. Try again later.{nothing}", **kwargs
        )
    if code == FEATURE_DISABLED_CODE:
        return ServiceUnavailableError(
            f"The service has disabled this feature: {said}. Choose another model or check the "
            f"service's announcements. {SHUTDOWN_NOTE}.{nothing}",
            **kwargs,
        )
    gone = "model" in message.lower() and _MODEL_GONE.search(message)
    if code not in (None, 401, 402, 429, 500, 502, 503, 504) and gone:
        return ModelUnavailableError(
            f"The service says this model is not available: {said}. Choose another model "
            f"from the service's model list. {SHUTDOWN_NOTE}.{nothing}",
            **kwargs,
        )
    return None


def _log_body(status: int, content_type: str, text: str, task_id: str | None) -> None:
    """The whole story of an answer that is not the envelope, for the log: messages say only
    what it was (`_snippet`)."""
    flat = " ".join(text.split())
    about = f" about task {task_id}" if task_id else ""
    logger.info(
        "the service answered HTTP %s%s with %s (%d characters): %s",
        status,
        about,
        content_type or "no content type",
        len(text),
        flat[:LOGGED_BODY_CHARS],
    )


def _snippet(text: str, content_type: str) -> str:
    """A short, safe description of a body that is not JSON (often a proxy's HTML page)."""
    if "html" in content_type or text.lstrip().lower().startswith(("<!doctype", "<html")):
        return "an HTML page, likely from a proxy"
    flat = " ".join(text.split())
    return repr(shortened(flat, 120)) if flat else "an empty body"
