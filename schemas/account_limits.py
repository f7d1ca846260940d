"""The account's limits as one type, kept by the client's gate and by a farm's admission alike.

The defaults are the service's (`schemas.models`); FREESORA_MAX_IN_FLIGHT and
FREESORA_CREATES_PER_10S override them (read by `config.settings`), each 1 to
`ACCOUNT_LIMIT_MAX`. One type for both, so a farm's processes and each of their clients keep
to one limit, read and refused in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..config.settings import account_limit_settings
from .models import (
    ACCOUNT_CREATES_PER_WINDOW,
    ACCOUNT_LIMIT_MAX,
    ACCOUNT_MAX_IN_FLIGHT,
    ACCOUNT_WINDOW_S,
    RATE_LIMIT_PATIENCE_S,
)


@dataclass(frozen=True)
class AccountLimits:
    """At most `max_in_flight` creates at once and `creates_per_window` per `window_s` seconds;
    429s are waited out for `patience_s` before the user is told."""

    max_in_flight: int = ACCOUNT_MAX_IN_FLIGHT
    creates_per_window: int = ACCOUNT_CREATES_PER_WINDOW
    window_s: float = ACCOUNT_WINDOW_S
    patience_s: float = RATE_LIMIT_PATIENCE_S

    def __post_init__(self) -> None:
        for name in ("max_in_flight", "creates_per_window"):
            value = getattr(self, name)
            if type(value) is not int or not 1 <= value <= ACCOUNT_LIMIT_MAX:
                raise ValueError(f"{name} must be an int 1..{ACCOUNT_LIMIT_MAX}, got {value!r}")
        if not self.window_s > 0 or not self.patience_s >= 0:
            raise ValueError(f"window_s must be > 0, patience_s >= 0: {self}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AccountLimits:
        """The defaults, with the environment's FREESORA_MAX_IN_FLIGHT / _CREATES_PER_10S."""
        return cls(**account_limit_settings(ACCOUNT_LIMIT_MAX, env))
