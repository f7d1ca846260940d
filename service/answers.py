"""Reading the service's answers: the envelope, or the error it carries, in the user's words.

Pure functions (no I/O): HTTP 200 with a non-zero `code`, non-2xx statuses, HTML pages from
proxies and unreadable bodies each become one error that names the status, the code, the
service's own message and what to do next.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from ..config import KEY_HELP
from ..errors import (
    AuthenticationError,
    InsufficientCreditsError,
    RateLimitedError,
    ServiceError,
    TaskNotFoundError,
    UnexpectedResponseError,
)
from ..schemas.response import Envelope


def read_answer(status: int, content_type: str, text: str, *, task_id: str | None) -> Envelope:
    """The envelope of an answer, or the error it carries (HTML pages and HTTP 200 errors too)."""
    envelope: Envelope | None = None
    try:
        envelope = Envelope.model_validate(json.loads(text))
    except (ValueError, ValidationError):
        envelope = None
    if envelope is None:
        if 300 <= status < 400:
            raise ServiceError(
                f"The service answered with a redirect (HTTP {status}). Redirects are not "
                "followed, so the key never goes to another host: check FREESORA_BASE_URL "
                "(https, www).",
                status=status,
                task_id=task_id,
            )
        if 200 <= status < 300:
            raise UnexpectedResponseError(
                f"The service answered HTTP {status} with something that is not its JSON "
                f"envelope ({_snippet(text, content_type)})",
                status=status,
                task_id=task_id,
            )
        raise service_error(status, None, _snippet(text, content_type), task_id)
    if envelope.code != 0 or not 200 <= status < 300:
        raise service_error(status, envelope.code or None, envelope.message, task_id)
    return envelope


def service_error(status: int, code: int | None, message: str, task_id: str | None) -> ServiceError:
    """The error for a refusal, with the service's own words and what to do next."""
    which = code or status
    said = f"{message} (" if message else "("
    said += f"HTTP {status}" + (f", code {code})" if code else ")")
    kwargs: dict[str, Any] = {"status": status, "code": code, "task_id": task_id}
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


def _snippet(text: str, content_type: str) -> str:
    """A short, safe description of a body that is not JSON (often a proxy's HTML page)."""
    if "html" in content_type or text.lstrip().lower().startswith(("<!doctype", "<html")):
        return "an HTML page, likely from a proxy in front of the service"
    flat = " ".join(text.split())
    return repr(flat[:120]) if flat else "an empty body"
