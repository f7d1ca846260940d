"""The pack's HTTP routes, all under /freesora/: what the frontend (`web/`) asks the pack.

`table` adds them to any aiohttp route table (`build_routes`), each behind the one guard of
`guard` (Host, origin, JSON body, who sits at the machine); `prices` words the price and spending
answers. Imports nothing from ComfyUI: `nodes/extension.py` hands ComfyUI's table in, tests a
plain aiohttp app's. May import every layer below it; never `nodes` or `cli`.
"""

from .table import build_routes

__all__ = ["build_routes"]
