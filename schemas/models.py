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
    """What one model accepts, and what the service assumes when a field is absent.

    `frames_default` is both the service's default and the pack's. `service_size_default` is
    what the service uses when `size` is absent (None: the model takes no `size`); the pack
    never relies on it and always sends `DEFAULTS.size` explicitly.
    """

    kind: ModelKind
    frames: tuple[int, ...]
    frames_default: int
    service_size_default: Size | None
    takes_remove_watermark: bool

    @property
    def takes_size(self) -> bool:
        return self.service_size_default is not None


@dataclass(frozen=True)
class RequestDefaults:
    """The pack's default for every optional field: nodes, CLI and request model read these.

    `size` is standard although upstream assumes high for Pro text: high costs about 2.2x the
    credits, so the dearer choice must be asked for, never inherited.
    """

    aspect_ratio: AspectRatio = AspectRatio.LANDSCAPE
    size: Size = Size.STANDARD
    remove_watermark: bool = True
    is_public: bool = True


DEFAULTS = RequestDefaults()


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

# The wait for a result (a pack rule, not the service's): Sora 2 Pro clips often take 5-15 min.
WAIT_TIMEOUT_DEFAULT_S = 20 * 60
WAIT_TIMEOUT_MIN_S, WAIT_TIMEOUT_MAX_S = 30, 6 * 3600

# How an input image is made the shape of the model's frame (16:9 or 9:16): crop the centre, pad
# with black bars, or keep its own shape. Crop is the default of the node and the CLI alike.
FITS = ("crop", "pad", "none")
FIT_DEFAULT = "crop"

# A take's seed is never sent: the same request and seed is created once, then reused (nodes and
# CLI alike). The default seed is a take like any other; another seed is a new, paid take.
SEED_DEFAULT, SEED_MAX = 0, 2**31 - 1

# Takes of one request per run of Text to Video / Storyboard (ComfyUI's usual `batch_size`).
BATCH_SIZE_MIN, BATCH_SIZE_MAX = 1, 8


def batch_size_problem(batch_size: object) -> str | None:
    """`batch_size` outside 1..8 (ComfyUI skips the widget's min/max for checked inputs)."""
    if batch_size is None:
        return None
    try:
        count = int(batch_size)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        count = 0
    if count != batch_size or not BATCH_SIZE_MIN <= count <= BATCH_SIZE_MAX:
        return f"batch_size must be {BATCH_SIZE_MIN} to {BATCH_SIZE_MAX}, got {batch_size!r}"
    return None


MAX_PROMPT_CHARS = 10_000
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # decoded size of one image, upstream limit
# Pixels an input image may claim (a pack rule: 8192x8192). A 10 MB PNG can claim 30000x30000,
# which would decode to 2.7 GB; the header is checked before any pixel is decoded.
MAX_IMAGE_PIXELS = 8192 * 8192
IMAGE_MIME_TYPES = ("image/png", "image/jpeg", "image/webp")
MIN_SHOTS, MAX_SHOTS = 1, 10
MIN_SHOT_S, MAX_SHOT_S = 0.1, 15.0


def models_of(kind: ModelKind) -> list[VideoModel]:
    """The models of one kind, in the table's order (the nodes' combo choices)."""
    return [model for model, spec in MODEL_SPECS.items() if spec.kind is kind]


def spec_of(model: VideoModel) -> ModelSpec:
    return MODEL_SPECS[model]


def image_model_for(model: VideoModel) -> VideoModel:
    """The image model of `model`'s family (sora-2-pro-text-to-video ->
    sora-2-pro-image-to-video): what to choose instead when an image is given to it."""
    name = model.value.replace("-text-to-video", "-image-to-video")
    known = {m.value: m for m in models_of(ModelKind.IMAGE)}
    return known.get(name, VideoModel.IMAGE_TO_VIDEO)


# The account's limits (upstream, API.md): about 20 unfinished tasks, and 20 new tasks per 10 s;
# beyond either the service answers 429. The client and a farm's admission keep to them as one
# type (`schemas/account_limits.py`); the environment variables FREESORA_MAX_IN_FLIGHT and
# FREESORA_CREATES_PER_10S override them.
ACCOUNT_MAX_IN_FLIGHT = 20
ACCOUNT_CREATES_PER_WINDOW = 20
ACCOUNT_WINDOW_S = 10.0
ACCOUNT_LIMIT_MAX = 1000  # the most either variable may say (a pack rule: a typo, not a plan)
# How long creates may keep waiting out 429s before the user is told (the account stays full).
RATE_LIMIT_PATIENCE_S = 15 * 60

# The frame each model renders (landscape; portrait swaps the sides): an image is fitted and
# scaled to it before encoding, never upscaled. sora-2 and Pro standard render 720p; Pro high
# renders 1792x1024 (7:4, not 16:9).
RENDER_FRAMES: dict[Size, tuple[int, int]] = {
    Size.STANDARD: (1280, 720),
    Size.HIGH: (1792, 1024),
}


def render_frame(
    model: VideoModel, size: Size | None, aspect_ratio: AspectRatio
) -> tuple[int, int]:
    """(width, height) the model renders for this request; `size` counts only where it is sent."""
    chosen = size if size is not None and spec_of(model).takes_size else Size.STANDARD
    width, height = RENDER_FRAMES[chosen]
    return (width, height) if aspect_ratio is AspectRatio.LANDSCAPE else (height, width)
