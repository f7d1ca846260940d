"""The inputs several nodes share, defined once (ids frozen: saved workflows refer to them)."""

from __future__ import annotations

from typing import Any

from comfy_api.latest import io

# Only the light table of models: the pydantic models load on first use (start-up time).
from ..schemas.models import (
    BATCH_SIZE_MAX,
    BATCH_SIZE_MIN,
    DEFAULTS,
    SEED_DEFAULT,
    SEED_MAX,
    AspectRatio,
    ModelKind,
    Size,
    models_of,
    spec_of,
)

SHOTS = io.Custom("FREESORA_SHOTS")


def model_input(kind: ModelKind) -> io.Combo.Input:
    choices = [model.value for model in models_of(kind)]
    return io.Combo.Input(
        "model",
        options=choices,
        default=choices[0],
        tooltip="Sora 2 model. 'stable' models have no watermark option; 'pro' models cost more "
        "and accept a size.",
    )


def prompt_input() -> io.String.Input:
    return io.String.Input(
        "prompt",
        multiline=True,
        default="",
        tooltip="What the video shows: subject, action, camera, style. Up to 10,000 characters.",
    )


def aspect_ratio_input(*, with_auto: bool = False) -> io.Combo.Input:
    ratios = [ratio.value for ratio in AspectRatio]
    auto = (
        " 'auto' follows the image's orientation (wider than tall: landscape); with an "
        "image_url it means landscape."
        if with_auto
        else ""
    )
    return io.Combo.Input(
        "aspect_ratio",
        options=(["auto"] if with_auto else []) + ratios,
        default="auto" if with_auto else DEFAULTS.aspect_ratio.value,
        tooltip=f"landscape = 16:9, portrait = 9:16.{auto}",
    )


def n_frames_input(kind: ModelKind) -> io.Combo.Input:
    spec = spec_of(models_of(kind)[0])
    choices = [str(seconds) for seconds in spec.frames]
    return io.Combo.Input(
        "n_frames",
        options=choices,
        default=str(spec.frames_default),
        tooltip="Clip length in seconds (sent as nFrames). Longer clips cost more credits.",
    )


def size_input() -> io.Combo.Input:
    return io.Combo.Input(
        "size",
        options=[size.value for size in Size],
        default=DEFAULTS.size.value,
        tooltip="Applies to the pro models only (not sent for the others). high is about 1080p "
        "and costs about 2.2x the credits of standard.",
    )


def remove_watermark_input() -> io.Boolean.Input:
    return io.Boolean.Input(
        "remove_watermark",
        default=DEFAULTS.remove_watermark,
        tooltip="Ask for a clip without the Sora watermark. Not sent for the 'stable' models, "
        "which have no such option.",
    )


def is_public_input() -> io.Boolean.Input:
    return io.Boolean.Input(
        "is_public",
        default=DEFAULTS.is_public,
        tooltip="Whether the clip may be listed publicly by the service. Off needs a VIP account.",
    )


SEED_TOOLTIP = (
    "Never sent. Run again with nothing changed: the same task is reused (no credits). A new "
    "seed is a new take: a new paid task. Left on 'fixed' so pressing Run twice never pays twice."
)
# What stays on a creation node after each run, under the task ids.
RERUN_NOTE = "Run again unchanged: same task, no credits. New seed: a new paid take."


def seed_control() -> Any:
    """`fixed` where the core lets a node choose its seed control, else the bool older cores take.

    Older cores (0.3.64) only know True (= randomize in the frontend); there the pack's
    web/seed_control.js sets a freshly added node to fixed.
    """
    control = getattr(io, "ControlAfterGenerate", None)
    return control.fixed if control is not None else True


def seed_input() -> io.Int.Input:
    return io.Int.Input(
        "seed",
        default=SEED_DEFAULT,
        min=0,
        max=SEED_MAX,
        control_after_generate=seed_control(),
        display_mode=io.NumberDisplay.number,
        tooltip=SEED_TOOLTIP,
    )


def profile_input() -> io.String.Input:
    return io.String.Input(
        "profile",
        default="",
        optional=True,
        tooltip="Which key to use: the name of a profile in the FreeSora config file. Empty = "
        "the default profile (FREESORA_API_KEY wins there). Never type a key here.",
    )


def batch_size_input() -> io.Int.Input:
    # Optional and last: a workflow saved before it existed keeps its positional widget values.
    return io.Int.Input(
        "batch_size",
        default=BATCH_SIZE_MIN,
        min=BATCH_SIZE_MIN,
        max=BATCH_SIZE_MAX,
        optional=True,
        tooltip=f"Takes of this request, created at once ({BATCH_SIZE_MIN}-{BATCH_SIZE_MAX}); "
        "each is its own paid task and its own video. The same inputs and seed reuse all of "
        "them.",
    )


def task_id_output(*, is_list: bool = False) -> io.String.Output:
    return io.String.Output(
        id="task_id",
        display_name="task_id",
        is_output_list=is_list,
        tooltip="The created task's id: connect it to Sora 2 Video Result, or keep it to "
        "collect the video later.",
    )
