"""Fixtures of the browser checks: defined in browser_host.py and web_host.py, shared here."""

from browser_host import (  # noqa: F401
    browser_comfy,
    browser_sandbox,
    chromium,
    frontend,
    host,
    playwright,
)
from web_host import web_host  # noqa: F401
