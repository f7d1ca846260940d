"""Pillow side of `media.py`: options, 16:9 fit, alpha, resizing, the byte budget, file reading.

Encodes 8-bit frames only; knows nothing of tensors, float conversion or data URLs. Raises
`InvalidRequestError` for bad options and `InvalidImageError` when no encoding meets the budget.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from ..errors import InvalidImageError, InvalidRequestError, shown_value
from ..schemas.image_fields import check_pixels, quiet_bomb_warning, too_many_pixels
from ..schemas.models import FITS

Orientation = Literal["landscape", "portrait"]

FORMATS = ("jpeg", "png", "webp")
MIME_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
# The default: JPEG q=98 with 4:4:4 chroma. Its quantization error alone keeps ~43 dB PSNR even
# on noisy photos (q=95 falls to 40 dB, 4:2:0 to 38 dB), while the file is 0.5-0.7x a PNG's and
# encodes 12-25x faster (benchmarks/bench_media.py). WEBP is always 4:2:0, so a higher quality
# buys little there. PNG is lossless and has no quality.
DEFAULT_FORMAT = "jpeg"
DEFAULT_QUALITY = {"jpeg": 98, "webp": 95}
# Over budget, quality steps down to these before any pixel is dropped; below 70 JPEG artefacts
# hurt a video's first frame more than a lower resolution does.
QUALITY_STEPS = (90, 80, 70)
# The service makes at most 1920x1080 video: twice that long side leaves room for its own crop
# and resampling, while an 8K still is not shipped at four times the useful pixels.
MAX_SIDE = 3840
MIN_BUDGET_SIDE = 64  # budget scaling gives up below this longest side
MAX_WEBP_SIDE = 16383  # the largest side libwebp can write
MIN_MAX_BYTES = 1024
PNG_COMPRESS_LEVEL = 6  # zlib's default; level 1 is 2x faster but ~15% larger on photos
_BLACK = {"RGB": (0, 0, 0), "RGBA": (0, 0, 0, 255)}  # opaque bars, whatever the format
_WHITE = (255, 255, 255)


@dataclass(frozen=True)
class EncodeOptions:
    """Checked and normalized options; `quality` is None for PNG."""

    fmt: str
    quality: int | None
    crop_to: Orientation | None
    pad_to: Orientation | None
    fitted: str  # "none", "crop to 16:9", "pad to 9:16", ...
    max_bytes: int
    max_side: int
    ratio: tuple[int, int] | None = None  # the fit's shape (oriented); None: 16:9 or 9:16


@dataclass(frozen=True)
class EncodedFrame:
    data: bytes
    width: int
    height: int
    quality: int | None
    scaled_from: tuple[int, int] | None  # the size before any downscaling, if there was one


def fit_size(
    width: int,
    height: int,
    fit: str,
    orientation: Orientation | None,
    ratio: tuple[int, int] | None = None,
) -> tuple[int, int]:
    """The size after fitting to 16:9 (landscape) or 9:16 (portrait), rounded to the nearest px.

    "crop" keeps the largest centred region of that shape, "pad" the smallest box around the
    whole image; "none" or no orientation keeps the size. `ratio` (across, down) replaces
    16:9 / 9:16, e.g. the 1792:1024 frame of Pro high.
    """
    if orientation is None or fit == "none":
        return width, height
    across, down = ratio or ((16, 9) if orientation == "landscape" else (9, 16))
    too_wide = width * down > height * across
    if fit == "crop":
        if too_wide:
            return max(1, _round_div(height * across, down)), height
        return width, max(1, _round_div(width * down, across))
    if too_wide:
        return width, _round_div(width * down, across)
    return _round_div(height * across, down), height


def check_options(
    *,
    fmt: str,
    quality: int | None,
    fit: str,
    aspect_ratio: Any,
    max_bytes: int,
    max_side: int,
    frame: tuple[int, int] | None = None,
) -> EncodeOptions:
    """Validate the widget-facing options; "jpg" means "jpeg", the schemas' enum is accepted."""
    fmt = {"jpg": "jpeg"}.get(str(fmt).lower(), str(fmt).lower())
    if fmt not in FORMATS:
        raise _bad("fmt", f"one of {', '.join(FORMATS)}", fmt)
    if fit not in FITS:
        raise _bad("fit", f"one of {', '.join(FITS)}", fit)
    orientation = getattr(aspect_ratio, "value", aspect_ratio)
    if orientation not in (None, "landscape", "portrait"):
        raise _bad("aspect_ratio", "landscape, portrait or None", aspect_ratio)
    if quality is not None and (type(quality) is not int or not 1 <= quality <= 100):
        raise _bad("quality", "an integer 1..100", quality)
    if type(max_bytes) is not int or max_bytes < MIN_MAX_BYTES:
        raise _bad("max_bytes", f"an integer of at least {MIN_MAX_BYTES}", max_bytes)
    if type(max_side) is not int or not MIN_BUDGET_SIDE <= max_side <= MAX_WEBP_SIDE:
        raise _bad("max_side", f"an integer {MIN_BUDGET_SIDE}..{MAX_WEBP_SIDE}", max_side)
    if frame is not None and (len(frame) != 2 or min(frame) < 1):
        raise _bad("frame", "(width, height) in px", frame)
    fitting = orientation is not None and fit != "none"
    ratio = None if frame is None else _reduced(*frame)
    shape = "16:9" if orientation == "landscape" else "9:16"
    if ratio is not None:
        shape = f"{ratio[0]}:{ratio[1]}"
    return EncodeOptions(
        fmt=fmt,
        quality=None if fmt == "png" else (quality or DEFAULT_QUALITY[fmt]),
        crop_to=orientation if fitting and fit == "crop" else None,
        pad_to=orientation if fitting and fit == "pad" else None,
        fitted=f"{fit} to {shape}" if fitting else "none",
        max_bytes=max_bytes,
        max_side=max_side,
        ratio=ratio,
    )


def _reduced(width: int, height: int) -> tuple[int, int]:
    divisor = math.gcd(width, height)
    return width // divisor, height // divisor


def encode_frame(pixels: npt.NDArray[np.uint8], options: EncodeOptions) -> EncodedFrame:
    """`[H,W,C]` uint8 -> encoded bytes: alpha handled, padded, capped at `max_side`, in budget."""
    image = _for_format(_to_pil(pixels), options.fmt)
    natural = fit_size(image.width, image.height, "pad", options.pad_to, options.ratio)
    scale = min(1.0, options.max_side / max(natural))
    if scale < 1.0:
        image = _resize(image, round(image.width * scale), round(image.height * scale))
    if options.pad_to is not None:
        image = _pad(image, options.pad_to, options.ratio)
    data, quality, image = _within_budget(image, options.fmt, options.quality, options.max_bytes)
    scaled_from = natural if image.size != natural else None
    return EncodedFrame(data, image.width, image.height, quality, scaled_from)


def read_pixels(path: str | os.PathLike[str]) -> npt.NDArray[Any]:
    """An image file as an array `media` takes: uint8 RGB(A), or 0..1 floats for 16-bit gray."""
    try:
        with quiet_bomb_warning(), Image.open(path) as opened:
            check_pixels(*opened.size)  # before decoding: a header may claim 30000x30000
            image = ImageOps.exif_transpose(opened)
            if image.mode.startswith("I"):  # 16-bit gray: Pillow's own conversion would clip it
                return np.asarray(image, dtype=np.float32) / np.float32(65535.0)
            alpha = "A" in image.getbands() or "transparency" in image.info
            return np.asarray(image.convert("RGBA" if alpha else "RGB"))
    except InvalidImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise too_many_pixels(None, str(exc)) from None
    except (OSError, ValueError) as exc:
        raise InvalidImageError(
            f"image must be a readable image file (JPEG, PNG, WEBP, ...), got {path}: {exc}",
            field="image",
        ) from None


def _bad(field: str, allowed: str, got: object) -> InvalidRequestError:
    return InvalidRequestError(f"{field} must be {allowed}, got {shown_value(got)}", field=field)


def _round_div(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def _to_pil(pixels: npt.NDArray[np.uint8]) -> Image.Image:
    # fromarray infers L, LA, RGB or RGBA from the last axis; it needs C-contiguous memory.
    array = pixels[:, :, 0] if pixels.shape[2] == 1 else pixels
    return Image.fromarray(np.ascontiguousarray(array))


def _for_format(image: Image.Image, fmt: str) -> Image.Image:
    """RGB or RGBA (gray widened: upstream models expect colour); JPEG alpha goes onto white."""
    if image.mode not in ("LA", "RGBA"):
        return image if image.mode == "RGB" else image.convert("RGB")
    if fmt != "jpeg":
        return image if image.mode == "RGBA" else image.convert("RGBA")
    canvas = Image.new("RGB", image.size, _WHITE)
    canvas.paste(image.convert("RGB"), mask=image.getchannel("A"))
    return canvas


def _pad(
    image: Image.Image, orientation: Orientation, ratio: tuple[int, int] | None
) -> Image.Image:
    width, height = fit_size(image.width, image.height, "pad", orientation, ratio)
    if (width, height) == image.size:
        return image
    canvas = Image.new(image.mode, (width, height), _BLACK[image.mode])
    canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    return canvas


def _resize(image: Image.Image, width: int, height: int) -> Image.Image:
    # reducing_gap does a fast box pre-shrink for large factors; Lanczos does the rest.
    size = (max(1, width), max(1, height))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _save(image: Image.Image, fmt: str, quality: int | None) -> bytes:
    buffer = io.BytesIO()
    options: dict[str, Any]
    if fmt == "jpeg":
        options = {"quality": quality, "subsampling": 0}  # 4:4:4: colour edges stay sharp
    elif fmt == "webp":
        options = {"quality": quality}
    else:
        options = {"compress_level": PNG_COMPRESS_LEVEL}
    image.save(buffer, fmt.upper(), **options)
    return buffer.getvalue()


def _within_budget(
    image: Image.Image, fmt: str, quality: int | None, max_bytes: int
) -> tuple[bytes, int | None, Image.Image]:
    """Quality steps down first (lossy formats), then the image shrinks until it fits."""
    data = _save(image, fmt, quality)
    while len(data) > max_bytes and quality is not None and quality > QUALITY_STEPS[-1]:
        lower = [step for step in QUALITY_STEPS if step < quality]
        # Far over budget the intermediate steps cannot make it: go straight to the lowest.
        quality = lower[0] if len(data) <= 2 * max_bytes else lower[-1]
        data = _save(image, fmt, quality)
    source, width, height = image, image.width, image.height
    while len(data) > max_bytes:
        # Bytes scale roughly with pixels; aim a little under and always shrink by >= 10%.
        factor = min(0.9, 0.95 * math.sqrt(max_bytes / len(data)))
        width, height = round(width * factor), round(height * factor)
        if max(width, height) < MIN_BUDGET_SIDE:
            raise InvalidImageError(
                f"image must fit in {max_bytes} bytes as {fmt.upper()}, got "
                f"{len(data)} bytes even at {image.width}x{image.height}: allow more bytes",
                field="image",
            )
        image = _resize(source, width, height)
        data = _save(image, fmt, quality)
    return data, quality, image
