"""A local emulator of the FreeSoraGenerator service, for tests, demos and credit-free wiring.

May import `schemas.models` (the service's defaults, one table) and `schemas.pricing` (the one
price table, so the sandbox charges what a badge estimates), and nothing else of the pack;
ComfyUI never imports it (only the CLI, the demo and the tests do). Its validator is its own
(`validation.py`, written from API.md), never the pack's request models: property tests compare
the two. Use the key `SANDBOX_KEY` ("sk-sandbox"), or any key starting with it such as
"sk-sandbox-alice". Put `FAIL_MARKER`, `FAIL_NO_REFUND_MARKER` or `CANCEL_MARKER` in a prompt
to choose how a task ends.
"""

from .app import Sandbox
from .server import RunningSandbox, run_sandbox, serve_forever
from .state import SANDBOX_KEY
from .tasks import CANCEL_MARKER, FAIL_MARKER, FAIL_NO_REFUND_MARKER, MODERATION_REASON
from .validation import validate_create

__all__ = [
    "CANCEL_MARKER",
    "FAIL_MARKER",
    "FAIL_NO_REFUND_MARKER",
    "MODERATION_REASON",
    "SANDBOX_KEY",
    "RunningSandbox",
    "Sandbox",
    "run_sandbox",
    "serve_forever",
    "validate_create",
]
