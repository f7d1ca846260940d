"""Every rule of the service, in one place: strict request models, tolerant response models.

`models` is the one table of models, limits and defaults (nodes, CLI, sandbox read it);
`account_limits` the one type of the account's limits (the client's gate and admission);
`request`/`response` the pydantic models; `data_url` the one data-URL reader; `pricing` the
price table (the pack's estimate and the user's own); `lengths` the clip length sent; `shots` a
storyboard's shots (their rules, the `SECONDS | scene` text form). May import only `errors`,
and `config` (`pricing` reads the user's table from the config file, `account_limits` the
limits the environment sets). The pydantic models load on first use (PEP 562): ComfyUI imports
every pack at start-up, and the nodes' definitions need only the light table.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .models import (
    MAX_IMAGE_BYTES,
    MAX_PROMPT_CHARS,
    MODEL_SPECS,
    AspectRatio,
    ModelKind,
    ModelSpec,
    Size,
    VideoModel,
    models_of,
    spec_of,
)

if TYPE_CHECKING:
    from .lengths import normalize_n_frames
    from .request import (
        CreateVideoRequest,
        Shot,
        as_invalid_request,
        build_create_request,
        request_from_widgets,
        shots_total,
    )
    from .response import CreatedTask, TaskState, TaskStatus

_LAZY = {
    "CreateVideoRequest": "request",
    "Shot": "request",
    "as_invalid_request": "request",
    "build_create_request": "request",
    "normalize_n_frames": "lengths",
    "request_from_widgets": "request",
    "shots_total": "request",
    "CreatedTask": "response",
    "TaskState": "response",
    "TaskStatus": "response",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_PROMPT_CHARS",
    "MODEL_SPECS",
    "AspectRatio",
    "CreateVideoRequest",
    "CreatedTask",
    "ModelKind",
    "ModelSpec",
    "Shot",
    "Size",
    "TaskState",
    "TaskStatus",
    "VideoModel",
    "as_invalid_request",
    "build_create_request",
    "models_of",
    "normalize_n_frames",
    "request_from_widgets",
    "shots_total",
    "spec_of",
]
