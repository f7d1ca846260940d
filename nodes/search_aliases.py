"""The words the node search also finds a node by, where the core supports them.

ComfyUI 0.11.0 and newer take `io.Schema(search_aliases=[...])` and the node search of their
frontends matches them beside the display name; older cores (0.3.64) refuse a keyword their
`io.Schema` lacks, which would fail the whole pack's import. So the keyword is given only to a
core whose `io.Schema` has it.
"""

from __future__ import annotations

import inspect
from functools import cache

from comfy_api.latest import io

# Every node is found by the service's and the family's names.
COMMON = ("sora", "sora 2", "freesora")


@cache
def supported() -> bool:
    return "search_aliases" in inspect.signature(io.Schema).parameters


def search_aliases(*words: str) -> dict[str, list[str]]:
    """`search_aliases=[...]` for `io.Schema(**...)` on a core that takes it, else nothing."""
    return {"search_aliases": [*COMMON, *words]} if supported() else {}
