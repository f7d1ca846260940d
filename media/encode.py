"""IMAGE (numpy or torch, never importing torch) -> fitted, encoded data URL; touches no network.

Owns the reading of ComfyUI IMAGE values: shapes, dtypes, the limits below and the conversion to
8-bit. The Pillow side (fit, alpha, resizing, the byte budget) lives in `imaging.py`.

Input rules, decided here:
- Shapes `[B,H,W,C]`, `[H,W,C]` or `[H,W]`; C is 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA).
- Floats are 0..1: clipped, then scaled to 0..255 and rounded half up (0.5/255 becomes 1).
  NaN and infinite values are rejected rather than guessed.
- Integers are 8-bit levels: any integer dtype whose values all lie in 0..255 is taken as is,
  anything else is rejected (a 16-bit image must be divided by 65535 first): scaling by the
  dtype's range would silently turn an int64 array of 0..255 levels into a black image.
- A frame may be at most MAX_INPUT_SIDE px on a side and MAX_INPUT_PIXELS in all: beyond that it
  is not a picture for a 1080p video but a mistake, and a single float copy would take > 1 GB.
"""

from __future__ import annotations

import base64
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import InvalidImageError, InvalidRequestError
from ..schemas.data_url import decode_data_url
from ..schemas.models import MAX_IMAGE_BYTES
from .imaging import (
    DEFAULT_FORMAT,
    DEFAULT_QUALITY,
    MAX_SIDE,
    MIME_TYPES,
    Orientation,
    check_options,
    encode_frame,
    fit_size,
    read_pixels,
)
from .scaling import scale_to, target_size

__all__ = [
    "DEFAULT_FORMAT",
    "DEFAULT_QUALITY",
    "MAX_IMAGE_BYTES",
    "MAX_INPUT_PIXELS",
    "MAX_INPUT_SIDE",
    "MAX_SIDE",
    "EncodedImage",
    "batch_size",
    "decode_data_url",
    "encode_file",
    "encode_image",
    "image_to_data_url",
    "orientation_of",
    "to_uint8_frames",
]

MAX_INPUT_SIDE = 16384
MAX_INPUT_PIXELS = 100_000_000
IMAGE_SHAPES = "[B,H,W,C], [H,W,C] or [H,W] with C = 1..4 (gray, gray+alpha, RGB, RGBA)"

UInt8Array = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class EncodedImage:
    """One encoded image and what was done to it; `bytes` is the decoded payload size."""

    data_url: str
    fmt: str
    width: int
    height: int
    bytes: int
    quality: int | None
    fitted: str
    scaled_from: tuple[int, int] | None = None

    def describe(self) -> str:
        """A short line for the UI, e.g. "JPEG 1920x1080, 412 KB, q=98 (crop to 16:9)"."""
        size = (
            f"{self.bytes / 1024 / 1024:.1f} MB"
            if self.bytes >= 1024 * 1024
            else f"{max(1, round(self.bytes / 1024))} KB"
        )
        parts = [f"{self.fmt.upper()} {self.width}x{self.height}", size]
        if self.quality is not None:
            parts.append(f"q={self.quality}")
        if self.scaled_from is not None:
            parts.append(f"scaled down from {self.scaled_from[0]}x{self.scaled_from[1]}")
        return ", ".join(parts) + (f" ({self.fitted})" if self.fitted != "none" else "")


def encode_image(
    image: Any,
    *,
    index: int = 0,
    fmt: str = DEFAULT_FORMAT,
    quality: int | None = None,
    fit: str = "none",
    aspect_ratio: str | None = None,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_side: int = MAX_SIDE,
    frame: tuple[int, int] | None = None,
) -> EncodedImage:
    """Encode frame `index` of an IMAGE as a data URL the service accepts.

    `fit` ("crop", "pad" or "none") shapes the frame to 16:9 or 9:16 after `aspect_ratio`
    ("landscape", "portrait"); with `aspect_ratio=None` nothing is fitted. `frame` (width,
    height), the size the model renders (`schemas.models.render_frame`), sets the fit's shape
    and scales the image down to it (never up; `fit="none"` keeps the aspect inside it).
    `quality` defaults to the format's (None for PNG, which is lossless). The result always
    fits `max_bytes` decoded: quality steps down first, then the image is scaled down.
    """
    options = check_options(
        fmt=fmt,
        quality=quality,
        fit=fit,
        aspect_ratio=aspect_ratio,
        max_bytes=max_bytes,
        max_side=max_side,
        frame=frame,
    )
    pixels = _frame(image, index)
    if options.crop_to is not None:
        pixels = _centre_crop(pixels, options.crop_to, options.ratio)
    scaled_from = None
    if frame is None:
        converted = _to_uint8(pixels)
    else:
        source = (pixels.shape[1], pixels.shape[0])
        size = target_size(*source, frame)
        converted = scale_to(pixels, size, _to_uint8)
        scaled_from = source if size != source else None
    encoded = encode_frame(converted, options)
    payload = base64.b64encode(encoded.data).decode("ascii")
    return EncodedImage(
        data_url=f"data:{MIME_TYPES[options.fmt]};base64,{payload}",
        fmt=options.fmt,
        width=encoded.width,
        height=encoded.height,
        bytes=len(encoded.data),
        quality=encoded.quality,
        fitted=options.fitted,
        scaled_from=scaled_from or encoded.scaled_from,
    )


def image_to_data_url(image: Any, **options: Any) -> str:
    """The data URL of the first frame with the nodes' defaults (JPEG q=98, no fit)."""
    return encode_image(image, **options).data_url


def batch_size(image: Any) -> int:
    """How many frames an IMAGE holds (1 for `[H,W,C]` and `[H,W]`)."""
    shape = _shape(image)
    return shape[0] if len(shape) == 4 else 1


def orientation_of(image: Any, *, index: int = 0) -> Orientation:
    """Landscape when frame `index` is at least as wide as tall, else portrait (for `auto`).

    The frames of a batch share one size; `index` is only checked, as `encode_image` does.
    """
    shape = _shape(image)
    _check_index(index, shape[0] if len(shape) == 4 else 1)
    height, width = shape[-3:-1] if len(shape) >= 3 else shape
    return "landscape" if width >= height else "portrait"


def to_uint8_frames(image: Any) -> UInt8Array:
    """Every frame as 8-bit `[B,H,W,C]`, validated and rounded like `encode_image` does."""
    frames = [_to_uint8(_frame(image, i)) for i in range(batch_size(image))]
    return np.stack(frames)


def encode_file(path: str | os.PathLike[str], **options: Any) -> EncodedImage:
    """An image file (any format Pillow reads, EXIF rotation applied) encoded like an IMAGE."""
    return encode_image(read_pixels(path), **options)


# --- Reading the input --------------------------------------------------------------------------


def _as_array(value: Any) -> npt.NDArray[Any]:
    """numpy as is; torch-like via detach/cpu/numpy (never importing torch); or `__array__`."""
    if isinstance(value, np.ndarray):
        return np.asarray(value)  # ndarray subclasses (np.matrix) index differently
    if hasattr(value, "detach"):
        tensor = value.detach().cpu()
        try:
            return np.asarray(tensor.numpy())
        except TypeError:  # bfloat16 has no numpy dtype
            return np.asarray(tensor.float().numpy())
    if hasattr(value, "__array__"):
        return np.asarray(value)
    raise InvalidImageError(
        f"image must be an IMAGE array (numpy or torch) shaped {IMAGE_SHAPES}, "
        f"got {type(value).__name__}",
        field="image",
    )


def _shape(image: Any) -> tuple[int, ...]:
    shape = tuple(int(n) for n in (image if hasattr(image, "shape") else _as_array(image)).shape)
    _check_shape(shape)
    return shape


def _check_shape(shape: tuple[int, ...]) -> None:
    def fail(what: str) -> InvalidImageError:
        return InvalidImageError(f"image must be {what}", field="image")

    if not 2 <= len(shape) <= 4:
        raise fail(f"shaped {IMAGE_SHAPES}, got {len(shape)} dimensions {shape}")
    if len(shape) == 4 and shape[0] == 0:
        raise fail(f"a batch of at least one frame, got an empty batch {shape}")
    if 0 in shape:
        raise fail(f"non-empty, got shape {shape}")
    height, width = shape[-3:-1] if len(shape) >= 3 else shape
    channels = shape[-1] if len(shape) >= 3 else 1
    if channels > 4:
        raise fail(f"1 to 4 channels (gray, gray+alpha, RGB, RGBA), got {channels} in {shape}")
    if max(height, width) > MAX_INPUT_SIDE:
        raise fail(f"at most {MAX_INPUT_SIDE} px on a side, got {width}x{height}")
    if height * width > MAX_INPUT_PIXELS:
        mp = height * width / 1e6
        raise fail(
            f"at most {MAX_INPUT_PIXELS // 1_000_000} MP, got {mp:.0f} MP ({width}x{height})"
        )


def _frame(image: Any, index: int) -> npt.NDArray[Any]:
    """Frame `index` as `[H,W,C]`, indexed before conversion so a GPU batch is not copied whole."""
    source = image if hasattr(image, "shape") else _as_array(image)
    shape = _shape(source)
    _check_index(index, shape[0] if len(shape) == 4 else 1)
    frame = _as_array(source[index] if len(shape) == 4 else source)
    return frame[:, :, None] if frame.ndim == 2 else frame


def _check_index(index: int, count: int) -> None:
    if type(index) is not int or not 0 <= index < count:
        raise InvalidRequestError(
            f"index must be 0..{count - 1} for a batch of {count}, got {index!r}", field="index"
        )


def _centre_crop(
    frame: npt.NDArray[Any], orientation: Orientation, ratio: tuple[int, int] | None
) -> npt.NDArray[Any]:
    """A view of the centred 16:9 or 9:16 region; cropping first spares converting the rest."""
    height, width = frame.shape[:2]
    new_width, new_height = fit_size(width, height, "crop", orientation, ratio)
    top, left = (height - new_height) // 2, (width - new_width) // 2
    return frame[top : top + new_height, left : left + new_width]


def _to_uint8(frame: npt.NDArray[Any]) -> UInt8Array:
    """0..1 floats (or 0..255 integers) -> uint8, clipped and rounded half up; vectorized."""
    if frame.dtype == np.uint8:
        return frame
    if frame.dtype.kind not in "iuf":
        raise InvalidImageError(
            f"image must hold float 0..1 or integer 0..255 values, got dtype {frame.dtype}",
            field="image",
        )
    low, high = frame.min(), frame.max()
    if frame.dtype.kind in "iu":
        if low < 0 or high > 255:
            raise InvalidImageError(
                f"image must hold float 0..1 or integer 0..255 values, got {frame.dtype} values "
                f"from {low} to {high} (divide 16-bit images by 65535 first)",
                field="image",
            )
        return frame.astype(np.uint8)
    if math.isnan(low) or math.isnan(high):
        raise InvalidImageError(
            "image must not contain NaN values, got NaN pixels: check the node that made it",
            field="image",
        )
    if math.isinf(low) or math.isinf(high):
        raise InvalidImageError(
            "image must hold finite values 0..1, got infinite pixels", field="image"
        )
    if low < 0.0 or high > 1.0:  # clipped before scaling, so that 1e300 cannot overflow
        frame = np.clip(frame, 0.0, 1.0)
    scaled = np.multiply(frame, np.float32(255.0), dtype=np.float32)
    pixels = np.empty(frame.shape, dtype=np.uint8)
    # Adding 0.5 then truncating (the unsafe cast) rounds half up; values are >= 0 here.
    np.add(scaled, np.float32(0.5), out=pixels, casting="unsafe")
    return pixels
