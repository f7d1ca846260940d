"""The account limits the sandbox enforces: unfinished tasks per key and creates per time window.

Upstream allows about 20 tasks in flight per account and 20 new tasks per 10 s, and answers 429
beyond (API.md). Off (None) unless asked for, so existing tests see an unlimited service. Pure:
time comes in as a number; what counts as "unfinished" is decided by the caller (`state.py`).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SandboxLimits:
    """`max_in_flight` unfinished tasks and `creates_per_window` creates per `window_s`, per key."""

    max_in_flight: int | None = None
    creates_per_window: int | None = None
    window_s: float = 10.0

    def __post_init__(self) -> None:
        for name in ("max_in_flight", "creates_per_window"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be an int >= 1 or None, got {value!r}")
        if not (math.isfinite(self.window_s) and self.window_s > 0):
            raise ValueError(f"window_s must be a number of seconds > 0, got {self.window_s!r}")


@dataclass(frozen=True)
class Refusal:
    """Why a create was refused, and when to try again (the 429's Retry-After)."""

    message: str
    retry_after_s: float


@dataclass
class LimitCounters:
    """What the limits saw: for load tests (peak in flight, how many 429s were answered)."""

    refused: int = 0
    peak_in_flight: int = 0
    _recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def check(
        self, limits: SandboxLimits, key: str, in_flight: int, now: float, soonest_end_s: float
    ) -> Refusal | None:
        """A refusal for a create by `key` now, or None (then `accepted` must follow).

        `soonest_end_s`: how long until the key's first unfinished task ends (the in-flight
        refusal's Retry-After).
        """
        refusal = self._refusal(limits, key, in_flight, now, soonest_end_s)
        if refusal is not None:
            self.refused += 1
        return refusal

    def accepted(self, key: str, in_flight_after: int, now: float) -> None:
        self._recent[key].append(now)
        self.peak_in_flight = max(self.peak_in_flight, in_flight_after)

    def _refusal(
        self, limits: SandboxLimits, key: str, in_flight: int, now: float, soonest_end_s: float
    ) -> Refusal | None:
        if limits.max_in_flight is not None and in_flight >= limits.max_in_flight:
            return Refusal(
                f"Too many tasks in progress: {in_flight} unfinished, this account allows "
                f"{limits.max_in_flight} (sandbox); wait for one to finish",
                retry_after_s=_whole_seconds(soonest_end_s),
            )
        if limits.creates_per_window is None:
            return None
        recent = self._recent[key]
        while recent and recent[0] <= now - limits.window_s:
            recent.popleft()
        if len(recent) < limits.creates_per_window:
            return None
        wait = recent[0] + limits.window_s - now
        return Refusal(
            f"Too many requests: this account allows {limits.creates_per_window} new tasks per "
            f"{limits.window_s:g} s (sandbox); try again in {wait:.1f} s",
            retry_after_s=_whole_seconds(wait),
        )


def _whole_seconds(seconds: float) -> float:
    # Retry-After travels as whole seconds; rounding up never lets a retry come early.
    return float(max(1, math.ceil(seconds - 1e-9)))
