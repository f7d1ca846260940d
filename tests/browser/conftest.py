"""Fixtures of the browser checks: defined in browser_host.py and web_host.py, shared here."""

from browser_host import browser_comfy, chromium, frontend, host, playwright  # noqa: F401
from web_host import web_host  # noqa: F401
