"""The typed fields of a journal record: each read checked, a wrong one raised as `BadRecord`.

The fold (`records`) counts a `BadRecord` as one damaged line and goes on.
"""

from __future__ import annotations

import sys
from typing import Any

from ..contract import TakeState

REPEATED = frozenset({"account", "model"})
SEEDS = (-(2**63) + 1, 2**63 - 1)  # what the index's seed column holds (the pack's: 0..2**31-1)
SLOTS = 2**31  # batch positions 0 .. SLOTS-1 (the pack's batches hold 8)
NUMBERS = (int, float)
# Any finite price is read back, whatever the config allowed when it was written (its range is
# `config.credits`'): a take must never be lost for the number it was charged at.
LAST_PRICE = sys.float_info.max
LAST_TIME = 1e11  # year 5138: a larger (or infinite, or NaN) time is damage, not a date


def is_time(value: object) -> bool:
    return type(value) in NUMBERS and 0 <= value < LAST_TIME  # type: ignore[operator]


class BadRecord(ValueError):
    """A line that is JSON but not a record this ledger can use."""


class PartlyRead(BadRecord):
    """A record applied without one of its optional fields (named): damage all the same."""


def text(record: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = record.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise BadRecord(f"{name} must be text, got {value!r}"[:120])
    # Accounts and models repeat on every line: one copy each keeps a big index small.
    return sys.intern(value) if name in REPEATED else value


def number(record: dict[str, Any], name: str) -> float:
    value = record.get(name, 0.0)
    if not is_time(value):
        raise BadRecord(f"{name} must be a time in seconds, got {value!r}"[:120])
    return float(value)


def integer(record: dict[str, Any], name: str, *, default: int | None) -> int | None:
    value = record.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise BadRecord(f"{name} must be an integer, got {value!r}"[:120])
    return value


def flag(record: dict[str, Any], name: str) -> bool | None:
    """An optional true/false field (None when absent)."""
    value = record.get(name)
    if value is not None and type(value) is not bool:
        raise BadRecord(f"{name} must be true or false, got {value!r}"[:120])
    return value


def seed(record: dict[str, Any]) -> int | None:
    """The seed, or None; beyond what the index's column holds is damage."""
    value = integer(record, "seed", default=None)
    if value is not None and not SEEDS[0] <= value <= SEEDS[1]:
        raise BadRecord(f"seed out of range: {value}"[:120])
    return value


def slot(record: dict[str, Any]) -> int:
    """The batch position (0 when absent); a negative or huge one is damage."""
    value = integer(record, "slot", default=0) or 0
    if not 0 <= value < SLOTS:
        raise BadRecord(f"slot out of range: {value}"[:120])
    return value


def price(record: dict[str, Any]) -> float | None:
    """The credits a take was charged at its claim (None: not recorded, older journals)."""
    value = record.get("price")
    if value is None:
        return None
    if type(value) not in NUMBERS or not 0 <= value <= LAST_PRICE:
        raise BadRecord(f"price must be a number of credits, got {value!r}"[:120])
    return float(value)


def optional_price(record: dict[str, Any]) -> tuple[float | None, PartlyRead | None]:
    """The price, or None and the damage to raise once the record is applied: a take's record
    is never dropped for its price (a dropped SENDING would let its take be sent again)."""
    try:
        return price(record), None
    except BadRecord as exc:
        return None, PartlyRead(f"{exc}; the take is kept, its price not counted"[:160])


def state(record: dict[str, Any]) -> TakeState:
    """The take's state, as a compacted record (`entry`, `charge`) writes it."""
    value = record.get("state")
    try:
        return TakeState(value)
    except ValueError:
        raise BadRecord(f"state must be a take state, got {value!r}"[:120]) from None
