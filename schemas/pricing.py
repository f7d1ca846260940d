"""The credit price table: one estimate per model, clip length and size, in one place.

The service does not publish its prices (API.md, "Unknowns"): these numbers are the pack's
estimate, labelled as such wherever they are shown (node badges, `GET /freesora/prices`, the
README). The sandbox charges from this same table, so what a badge says is what the sandbox takes.
The real price is the one the service's account/pricing page shows. A user may replace any
entry in the config file's top-level `"prices"` table (`{model: {seconds: {size: credits}}}`,
partial tables allowed): `price_of` reads the merged table, and every price shown or charged
(badges, the queue confirmation, `--dry-run`, the daily budget, the sandbox) comes from it.
May import `schemas.models`, `config` and `errors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import config_path, credits_value, read_config_file
from ..errors import ConfigError
from .models import MODEL_SPECS, Size, VideoModel

# model -> clip length in seconds (as text, like JSON keys) -> size -> credits
PriceTable = dict[str, dict[str, dict[str, float]]]
PRICES_KEY = "prices"  # the config file's top-level table

PRICES_SOURCE = (
    "FreeSora nodes' own estimate: the service does not publish per-task prices; the real "
    "price is shown on your account's pricing page at freesoragenerator.com"
)
PRICES_AS_OF = "2026-12-01"

# Credits per second of video at size "standard"; "high" (about 1080p) costs about 2.2x.
CREDITS_PER_SECOND: dict[VideoModel, float] = {
    VideoModel.TEXT_TO_VIDEO: 3,
    VideoModel.IMAGE_TO_VIDEO: 3,
    VideoModel.TEXT_TO_VIDEO_STABLE: 5,
    VideoModel.IMAGE_TO_VIDEO_STABLE: 5,
    VideoModel.PRO_TEXT_TO_VIDEO: 15,
    VideoModel.PRO_IMAGE_TO_VIDEO: 15,
    VideoModel.PRO_STORYBOARD: 15,
}
HIGH_SIZE_FACTOR = 2.2

# The daily budget counts the credits charged in this window before each create.
BUDGET_WINDOW_S = 24 * 3600


def estimate_credits(model: VideoModel, seconds: int, size: Size | None = None) -> int:
    """Estimated credits of one task; `size` counts only for the models that take one."""
    cost = CREDITS_PER_SECOND[model] * seconds
    if MODEL_SPECS[model].takes_size and size is Size.HIGH:
        cost *= HIGH_SIZE_FACTOR
    return round(cost)


def sizes_of(model: VideoModel) -> list[Size]:
    """The sizes a model is priced at: both for the models that take one, else standard."""
    return list(Size) if MODEL_SPECS[model].takes_size else [Size.STANDARD]


def estimate_table() -> PriceTable:
    """The pack's estimate of every model x offered clip length x size."""
    return {
        model.value: {
            str(seconds): {
                size.value: estimate_credits(model, seconds, size) for size in sizes_of(model)
            }
            for seconds in spec.frames
        }
        for model, spec in MODEL_SPECS.items()
    }


def user_prices(raw: object, where: str = PRICES_KEY) -> PriceTable:
    """The user's (partial) table, checked entry by entry: a wrong entry is a ConfigError
    naming its path in the table (`prices.sora-2-pro-text-to-video.10.high ...`)."""
    if raw is None:
        return {}
    _need(isinstance(raw, dict), where, "must be a JSON object of models", raw)
    assert isinstance(raw, dict)
    table: PriceTable = {}
    for model_name, lengths in raw.items():
        path = f"{where}.{model_name}"
        try:
            model = VideoModel(model_name)
        except ValueError:
            models = ", ".join(model.value for model in VideoModel)
            raise ConfigError(f"{path} is not a model (models: {models})") from None
        _need(isinstance(lengths, dict), path, "must be a JSON object of clip lengths", lengths)
        table[model.value] = {
            seconds: _sizes(model, f"{path}.{seconds}", seconds, sizes)
            for seconds, sizes in lengths.items()
        }
    return table


def _sizes(model: VideoModel, path: str, seconds: str, sizes: object) -> dict[str, float]:
    offered = [str(length) for length in MODEL_SPECS[model].frames]
    if seconds not in offered:
        raise ConfigError(f"{path}: {model.value} offers clip lengths {', '.join(offered)} only")
    _need(isinstance(sizes, dict), path, 'must be a JSON object such as {"standard": 30}', sizes)
    assert isinstance(sizes, dict)
    allowed = [size.value for size in sizes_of(model)]
    checked: dict[str, float] = {}
    for size, credits in sizes.items():
        if size not in allowed:
            priced = ", ".join(allowed)
            raise ConfigError(f"{path}.{size}: {model.value} is priced at {priced} only")
        checked[size] = credits_value(credits, f"{path}.{size}")
    return checked


def _need(ok: bool, path: str, rule: str, got: object) -> None:
    if not ok:
        shown = f'"{got}"' if isinstance(got, str) else repr(got)
        raise ConfigError(f"{path} {rule}, got {shown[:80]}")


def merged_prices(user: PriceTable) -> PriceTable:
    """The estimate with every entry the user gave put in its place."""
    table = estimate_table()
    for model, lengths in user.items():
        for seconds, sizes in lengths.items():
            table[model][seconds].update(sizes)
    return table


def load_user_prices(env: Mapping[str, str] | None = None) -> PriceTable:
    """The config file's `prices` table, checked (empty when there is none)."""
    path = config_path(env)
    return user_prices(read_config_file(path).get(PRICES_KEY), PRICES_KEY)


def entry_of(body: Mapping[str, Any]) -> tuple[VideoModel, int, Size]:
    """(model, seconds, size) a create body is priced at, as the service reads it (its defaults
    for absent fields: the model's clip length, and its own `size` default, high for Pro
    text; standard for the models that take no size)."""
    model = VideoModel(str(body["model"]))
    spec = MODEL_SPECS[model]
    seconds = int(body.get("nFrames", spec.frames_default))
    size = Size(str(body["size"])) if "size" in body else spec.service_size_default
    return model, seconds, size if spec.takes_size and size is not None else Size.STANDARD


def price_of(body: Mapping[str, Any], table: PriceTable | None = None) -> float:
    """The one price function: the credits of a create body, from `table` (the merged table)
    or, without one, the pack's estimate. Badges, `--dry-run`, the budget and the sandbox
    all price through it."""
    model, seconds, size = entry_of(body)
    if table is None:
        return estimate_credits(model, seconds, size)
    return table[model.value][str(seconds)][size.value]


def is_users(user: PriceTable, body: Mapping[str, Any]) -> bool:
    """Whether the user's table (not the estimate) prices this body."""
    model, seconds, size = entry_of(body)
    return size.value in user.get(model.value, {}).get(str(seconds), {})


def estimate_body(body: Mapping[str, Any]) -> int:
    """The pack's estimate of a create body (what the sandbox charges)."""
    return int(price_of(body))


def price_sheet(
    user: PriceTable | None = None, *, config_file: str | None = None
) -> dict[str, Any]:
    """The merged table as JSON for the frontend: every model x clip length x size it accepts,
    and which entries are the user's (`user`: model -> seconds -> sizes)."""
    user = user or {}
    merged = merged_prices(user)
    models = {
        model.value: {"takes_size": MODEL_SPECS[model].takes_size, "credits": merged[model.value]}
        for model in MODEL_SPECS
    }
    mine = {
        model: {seconds: sorted(sizes) for seconds, sizes in lengths.items() if sizes}
        for model, lengths in user.items()
    }
    return {
        "estimate": True,
        "unit": "credits",
        "source": PRICES_SOURCE,
        "as_of": PRICES_AS_OF,
        "models": models,
        "user": {model: lengths for model, lengths in mine.items() if lengths},
        "config_file": config_file,
    }


def shown(credits: float) -> str:
    """A price as text: whole numbers without a point."""
    return f"{credits:,.0f}" if float(credits).is_integer() else f"{credits:,.2f}".rstrip("0")
