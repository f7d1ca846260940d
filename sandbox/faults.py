"""The fault-injection queue: which misbehaviour the next request to an endpoint gets.

Owns the catalogue of fault kinds and the checking of their parameters; how each kind is acted
out over HTTP lives in `routes.py` and `canned.py`. Tests use it as `sandbox.faults.add(...)`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ENDPOINTS = ("create", "status", "download")
# How a service may repeat a key: whole, cut short, masked, URL-encoded, or \u-escaped in JSON.
ECHO_FORMS = ("full", "prefix", "short_prefix", "masked", "url_encoded", "json_escaped")
ECHO_PLACES = ("message", "text", "header")
_ALL = frozenset(ENDPOINTS)
_CALLS = frozenset({"create", "status"})


@dataclass(frozen=True)
class _Kind:
    endpoints: frozenset[str]
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()


KINDS: dict[str, _Kind] = {
    "http_status": _Kind(_ALL, frozenset({"status"}), frozenset({"code", "message"})),
    "html": _Kind(_ALL, optional=frozenset({"status"})),
    # A CDN's own error page (Cloudflare's, with its CF-RAY header unless `marker` is False):
    # 521/523 say the service was never reached, 524 that it did not answer in time.
    "cdn_page": _Kind(_ALL, optional=frozenset({"status", "marker"})),
    "rate_limit": _Kind(_ALL, optional=frozenset({"retry_after", "as_code"})),
    "code": _Kind(_CALLS, frozenset({"code"}), frozenset({"message"})),
    "reset_before": _Kind(_ALL, optional=frozenset({"graceful"})),
    "reset_after": _Kind(frozenset({"create"}), optional=frozenset({"graceful"})),
    "delay": _Kind(_ALL, frozenset({"seconds"}), frozenset({"then"})),
    "malformed_json": _Kind(_CALLS),
    "missing_task_id": _Kind(frozenset({"create"})),
    # A create served (and charged) as usual whose task gets this id: ids of any shape.
    "task_id": _Kind(frozenset({"create"}), frozenset({"value"})),
    "unknown_status": _Kind(frozenset({"status"}), optional=frozenset({"value"})),
    "truncated": _Kind(frozenset({"download"})),
    # Answers in shapes the docs do not promise: the pack must read them anyway.
    "object_result_urls": _Kind(frozenset({"status"})),
    "string_progress": _Kind(frozenset({"status"})),
    "object_failure_reason": _Kind(frozenset({"status"})),
    "huge_answer": _Kind(_CALLS, optional=frozenset({"size"})),
    "gzip_bomb": _Kind(_CALLS, optional=frozenset({"size"})),
    # A service that repeats the caller's key in its refusal ("Incorrect API key provided: sk-…"),
    # in one of the forms of `ECHO_FORMS`, in the envelope's message, a text body or a header.
    "echo_key": _Kind(_CALLS, optional=frozenset({"form", "where"})),
    # Retired models and switched-off features, as resellers answer since the Sora 2 shutdown.
    "retired_model": _Kind(_CALLS, optional=frozenset({"code", "message"})),
    "maintenance": _Kind(_CALLS, optional=frozenset({"status", "message"})),
    "feature_disabled": _Kind(_CALLS, optional=frozenset({"status", "message"})),
    # Downloads that misbehave: redirects anywhere, a body that is not a video, a slow drip.
    "redirect": _Kind(frozenset({"download"}), optional=frozenset({"location", "status"})),
    "not_video": _Kind(frozenset({"download"})),
    "drip": _Kind(frozenset({"download"}), optional=frozenset({"seconds"})),
    # A CDN's signed URL that expired (403 by default; 404 and 410 are seen too): the URL asked
    # answers `status` from now on, and the next check-result hands out a fresh one.
    "expired_url": _Kind(frozenset({"download"}), optional=frozenset({"status"})),
    # check-result names this result URL instead of the sandbox's own (a hostile service).
    "result_url": _Kind(frozenset({"status"}), frozenset({"url"})),
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_http_status(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599


def _is_seconds(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value >= 0


# What each parameter must be, whatever the kind: (test, description for the error message).
_PARAMS: dict[str, tuple[Callable[[object], bool], str]] = {
    "status": (_is_http_status, "an HTTP status 100-599"),
    "code": (_is_int, "an int envelope code"),
    "message": (lambda v: isinstance(v, str), "a string"),
    "retry_after": (_is_seconds, "a number of seconds >= 0"),
    "as_code": (lambda v: isinstance(v, bool), "a bool"),
    "graceful": (lambda v: isinstance(v, bool), "a bool"),
    "marker": (lambda v: isinstance(v, bool), "a bool"),
    "form": (lambda v: v in ECHO_FORMS, f"one of {', '.join(ECHO_FORMS)}"),
    "where": (lambda v: v in ECHO_PLACES, f"one of {', '.join(ECHO_PLACES)}"),
    "seconds": (_is_seconds, "a number of seconds >= 0"),
    "then": (lambda v: v in ("create", "drop"), "'create' or 'drop'"),
    "value": (lambda v: isinstance(v, str), "a string"),
    "size": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "bytes >= 1"),
    "location": (lambda v: isinstance(v, str) and bool(v), "a URL or path ({task_id}, {port})"),
    "url": (lambda v: isinstance(v, str) and bool(v), "a URL"),
}


@dataclass
class Fault:
    """One queued fault; `remaining` counts the requests it will still affect."""

    endpoint: str
    kind: str
    params: dict[str, Any]
    remaining: int


def check_fault(endpoint: str, kind: str, times: int, params: dict[str, Any]) -> None:
    """Raise ValueError, saying what is allowed, for a fault that cannot be acted out."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"endpoint must be one of {', '.join(ENDPOINTS)}, got {endpoint!r}")
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if endpoint not in spec.endpoints:
        raise ValueError(f"{kind} applies to {', '.join(sorted(spec.endpoints))}, not {endpoint}")
    if not _is_int(times) or times < 1:
        raise ValueError(f"times must be an int >= 1, got {times!r}")
    missing = spec.required - params.keys()
    unknown = params.keys() - spec.required - spec.optional
    if missing or unknown:
        allowed = ", ".join(sorted(spec.required | spec.optional)) or "none"
        raise ValueError(f"{kind} parameters are {allowed}; got {', '.join(sorted(params))}")
    for name, value in params.items():
        test, description = _PARAMS[name]
        if not test(value):
            raise ValueError(f"{kind}: {name} must be {description}, got {value!r}")
    if "then" in params and endpoint != "create":
        raise ValueError(f"delay: then= applies to create only, not {endpoint}")


class FaultQueue:
    """Faults per endpoint, consumed first in, first out, each `times` times."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {endpoint: deque() for endpoint in ENDPOINTS}

    def add(self, endpoint: str, kind: str, *, times: int = 1, **params: Any) -> Fault:
        """Queue a fault for the next `times` requests to `endpoint`, after those queued before."""
        check_fault(endpoint, kind, times, params)
        fault = Fault(endpoint, kind, params, times)
        self._queues[endpoint].append(fault)
        return fault

    def take(self, endpoint: str) -> Fault | None:
        """The fault the current request to `endpoint` gets, if any, counting it as used."""
        queue = self._queues[endpoint]
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            queue.popleft()
        return fault

    def pending(self, endpoint: str | None = None) -> int:
        """How many requests (to `endpoint`, or to any) queued faults will still affect."""
        endpoints = ENDPOINTS if endpoint is None else (endpoint,)
        return sum(fault.remaining for name in endpoints for fault in self._queues[name])

    def clear(self) -> None:
        for queue in self._queues.values():
            queue.clear()
