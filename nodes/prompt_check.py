"""Queue-time checks that need the whole prompt: a storyboard's linked shots against n_frames,
and the daily budget of takes that start when the prompt is queued (`queue_start`).

ComfyUI hands `validate_inputs` only a node's own widgets (linked inputs arrive as None), so a
storyboard cannot see its Shot Builders there. ComfyUI's on-prompt hook sees the whole request
just before it validates the prompt, in the same request's task: the request is kept in a
context variable for that validation (tasks copy it; another request's task never sees it), and
the storyboard reads its shots' total from it (`create.plan.prompt_shots_total`).
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from typing import Any

_PROMPT: ContextVar[dict[str, Any] | None] = ContextVar("freesora_prompt", default=None)
_REQUEST: ContextVar[dict[str, Any] | None] = ContextVar("freesora_request", default=None)
_HOOKED: set[int] = set()


def remember_prompt(json_data: Any) -> Any:
    """ComfyUI's on-prompt handler: keep the request for this request's validation."""
    request = json_data if isinstance(json_data, dict) else {}
    prompt = request.get("prompt")
    _PROMPT.set(prompt if isinstance(prompt, dict) else None)
    _REQUEST.set(request if isinstance(prompt, dict) else None)
    return json_data


def validated_request() -> dict[str, Any] | None:
    """The `/prompt` request whose prompt is being validated (its `extra_data`, `client_id`,
    `partial_execution_targets`), or None outside a validation."""
    return _REQUEST.get()


def linked_shots_total(node_id: Any, n_frames: Any) -> float | None:
    """The seconds of a storyboard node's linked shots in the prompt being validated, or None
    (not known before the graph runs, or not this prompt: the node's n_frames must match)."""
    from ..create.plan import prompt_shots_total

    prompt = _PROMPT.get()
    node = (prompt or {}).get(str(node_id))
    if not isinstance(node, dict) or str((node.get("inputs") or {}).get("n_frames")) != str(
        n_frames
    ):
        return None
    return prompt_shots_total(prompt, str(node_id))


def register() -> None:
    """Hook the prompt once into a running ComfyUI's server (none in tests that list nodes)."""
    prompt_server = getattr(sys.modules.get("server"), "PromptServer", None)
    server = getattr(prompt_server, "instance", None)
    if server is None or id(server) in _HOOKED or not hasattr(server, "add_on_prompt_handler"):
        return
    server.add_on_prompt_handler(remember_prompt)
    _HOOKED.add(id(server))
