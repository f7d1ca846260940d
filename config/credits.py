"""A number of credits as the config accepts one (a price in the user's table, a daily budget):
the one range, so that every amount the config lets through is one every ledger store writes
and reads back, and the one error for anything else.

The ceiling sits far above any real price or budget and below what every journal reader of the
pack reads as a price (0.3.0's skips 1e12 and more as damage), so a take priced at the ceiling
is never lost to a restart, whichever version reads the journal. Compared exactly, never
through `float()`: a JSON integer of 400 digits is refused, not an `OverflowError`. May import
`errors` only.
"""

from __future__ import annotations

from ..errors import ConfigError

MAX_CREDITS = 10**9
RULE = f"must be a number of credits from 0 to {MAX_CREDITS:,}"


def credits_value(value: object, where: str) -> float:
    """`value` as credits, or a one-line ConfigError naming `where` and the range. A bool is
    not a number here; NaN and the infinities fail the comparison."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not (number and isinstance(value, int | float) and 0 <= value <= MAX_CREDITS):
        raise ConfigError(f"{where} {RULE}, got {shown_value(value)}")
    return float(value)


def shown_value(value: object) -> str:
    """What was given, short: text quoted, a huge integer by its number of digits."""
    if isinstance(value, str):
        return f'"{value[:60]}"'
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    return repr(value)[:60]
