"""The sandbox's credit prices: read from the pack's one price table, `schemas/pricing.py`.

So that what a node badge estimates is exactly what the sandbox charges.
"""

from __future__ import annotations

from typing import Any

from ..schemas.pricing import estimate_body


def credit_cost(body: dict[str, Any]) -> int:
    """Credits charged for a create body that `validate_create` accepted."""
    return estimate_body(body)
