"""The pack's first verb, create: widget values -> planned requests -> submitted tasks.

`plan` turns widget values (nodes and CLI alike) into checked requests; `submit` creates them
exactly once through the ledger; `detached` is the pack's own loop, where a sent create (or a
take started with no node running) runs to its end. Nodes and the CLI reach it through the
facade. The names below load on first use (PEP 562): a queue-time check needs `plan` without
the HTTP client that `submit` brings. May import `ledger`, `media`, `schemas`, `service`,
`errors` and `config`; never `nodes`, `cli`, `collect` or the facade.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .plan import PlannedTask
    from .submit import NOT_CREATED, Submitted, submit_tasks

_LAZY = {
    "PlannedTask": "plan",
    "NOT_CREATED": "submit",
    "Submitted": "submit",
    "submit_tasks": "submit",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["NOT_CREATED", "PlannedTask", "Submitted", "submit_tasks"]
