"""Fixtures of the browser checks: defined in browser_host.py, shared by every test file here."""

from browser_host import browser_comfy, chromium, frontend, host  # noqa: F401
