"""The service's models and what each accepts: the one table every rule is read from.

API.md is the source; where the service is silent the upstream rule is used. Change a rule here
and the request model, the nodes' choices and the CLI follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class VideoModel(str, Enum):
    TEXT_TO_VIDEO = "sora-2-text-to-video"
    IMAGE_TO_VIDEO = "sora-2-image-to-video"
    TEXT_TO_VIDEO_STABLE = "sora-2-text-to-video-stable"
    IMAGE_TO_VIDEO_STABLE = "sora-2-image-to-video-stable"
    PRO_TEXT_TO_VIDEO = "sora-2-pro-text-to-video"
    PRO_IMAGE_TO_VIDEO = "sora-2-pro-image-to-video"
    PRO_STORYBOARD = "sora-2-pro-storyboard"


class ModelKind(str, Enum):
    TEXT = "text"
    IMAGE = "image"
    STORYBOARD = "storyboard"


class AspectRatio(str, Enum):
    LANDSCAPE = "landscape"
    PORTRAIT = "portrait"


class Size(str, Enum):
    STANDARD = "standard"
    HIGH = "high"


@dataclass(frozen=True)
class ModelSpec:
    """What one model accepts. `size_default` is None where the model takes no `size`."""

    kind: ModelKind
    frames: tuple[int, ...]
    frames_default: int
    size_default: Size | None
    takes_remove_watermark: bool

    @property
    def takes_size(self) -> bool:
        return self.size_default is not None


_STD_FRAMES = (10, 15)

MODEL_SPECS: dict[VideoModel, ModelSpec] = {
    VideoModel.TEXT_TO_VIDEO: ModelSpec(ModelKind.TEXT, _STD_FRAMES, 10, None, True),
    VideoModel.IMAGE_TO_VIDEO: ModelSpec(ModelKind.IMAGE, _STD_FRAMES, 10, None, True),
    VideoModel.TEXT_TO_VIDEO_STABLE: ModelSpec(ModelKind.TEXT, _STD_FRAMES, 10, None, False),
    VideoModel.IMAGE_TO_VIDEO_STABLE: ModelSpec(ModelKind.IMAGE, _STD_FRAMES, 10, None, False),
    # Upstream defaults: high for Pro text, standard for Pro image (high is ~2.2x the credits).
    VideoModel.PRO_TEXT_TO_VIDEO: ModelSpec(ModelKind.TEXT, _STD_FRAMES, 10, Size.HIGH, True),
    VideoModel.PRO_IMAGE_TO_VIDEO: ModelSpec(ModelKind.IMAGE, _STD_FRAMES, 10, Size.STANDARD, True),
    VideoModel.PRO_STORYBOARD: ModelSpec(ModelKind.STORYBOARD, (10, 15, 25), 15, None, False),
}

MAX_PROMPT_CHARS = 10_000
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # decoded size of one image, upstream limit
IMAGE_MIME_TYPES = ("image/png", "image/jpeg", "image/webp")
MIN_SHOTS, MAX_SHOTS = 1, 10
MIN_SHOT_S, MAX_SHOT_S = 0.1, 15.0


def models_of(kind: ModelKind) -> list[VideoModel]:
    """The models of one kind, in the table's order (the nodes' combo choices)."""
    return [model for model, spec in MODEL_SPECS.items() if spec.kind is kind]


def spec_of(model: VideoModel) -> ModelSpec:
    return MODEL_SPECS[model]
