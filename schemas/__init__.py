"""Every rule of the service, in one place: strict request models, tolerant response models."""

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
from .request import (
    CreateVideoRequest,
    Shot,
    as_invalid_request,
    build_create_request,
    normalize_n_frames,
    request_from_widgets,
    shots_total,
)
from .response import CreatedTask, TaskState, TaskStatus

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
