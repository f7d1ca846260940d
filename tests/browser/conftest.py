"""Fixtures of the browser checks: defined in browser_host.py, web_host.py and comfy_host
(the host, shared with tests/comfyui), shared here."""

from browser_host import browser_comfy, browser_sandbox, chromium, frontend, playwright  # noqa: F401
from comfy_host.hosts import host  # noqa: F401
from web_host import web_host  # noqa: F401
