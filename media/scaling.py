"""Scaling an IMAGE frame down to the model's frame, in the cheapest correct order.

A 4K float frame is 100 MB: converting it all to 8-bit costs more than everything after, so it
is box-averaged by the largest whole factor first (in float, strided adds: one pass over the
source), converted to 8-bit only then, and Lanczos takes it the rest of the way
(`benchmarks/bench_media.py` measures the order). Never scales up.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

UInt8Array = npt.NDArray[np.uint8]
# Below twice the target, a box step would average away detail Lanczos keeps: Lanczos alone.
MIN_BOX_FACTOR = 2


def target_size(width: int, height: int, frame: tuple[int, int]) -> tuple[int, int]:
    """The largest size of the same aspect inside `frame`, never larger than the source."""
    scale = min(1.0, frame[0] / width, frame[1] / height)
    if scale >= 1.0:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def scale_to(
    frame: npt.NDArray[Any], size: tuple[int, int], to_uint8: Callable[[Any], UInt8Array]
) -> UInt8Array:
    """`[H,W,C]` float or 8-bit -> 8-bit `[h,w,C]` of `size` (w, h): box first, then Lanczos."""
    height, width = frame.shape[:2]
    factor = math.floor(min(width / size[0], height / size[1]))
    if factor >= MIN_BOX_FACTOR and frame.dtype.kind == "f":
        frame = _box_reduce(frame, factor)
    pixels = to_uint8(frame)
    if factor >= MIN_BOX_FACTOR and frame.dtype.kind != "f":
        pixels = _pil_reduce(pixels, factor)
    if (pixels.shape[1], pixels.shape[0]) == size:
        return pixels
    return _lanczos(pixels, size)


def _box_reduce(frame: npt.NDArray[Any], factor: int) -> npt.NDArray[np.float32]:
    """The mean of each factor x factor block (edge rows/columns that do not fill one dropped).

    NaN and infinities survive the mean, so the 8-bit conversion still refuses them.
    """
    height, width = (frame.shape[0] // factor) * factor, (frame.shape[1] // factor) * factor
    source = frame[:height, :width]
    # Rows first: whole rows are contiguous, so each strided add still streams memory.
    rows = np.array(source[0::factor], dtype=np.float32)
    for offset in range(1, factor):
        rows += source[offset::factor]
    out = np.array(rows[:, 0::factor])
    for offset in range(1, factor):
        out += rows[:, offset::factor]
    out *= np.float32(1.0 / (factor * factor))
    return out


def _pil_reduce(pixels: UInt8Array, factor: int) -> UInt8Array:
    return _from_pil(_to_pil(pixels).reduce(factor), pixels.shape[2])


def _lanczos(pixels: UInt8Array, size: tuple[int, int]) -> UInt8Array:
    resized = _to_pil(pixels).resize(size, Image.Resampling.LANCZOS)
    return _from_pil(resized, pixels.shape[2])


def _to_pil(pixels: UInt8Array) -> Image.Image:
    array = pixels[:, :, 0] if pixels.shape[2] == 1 else pixels
    return Image.fromarray(np.ascontiguousarray(array))


def _from_pil(image: Image.Image, channels: int) -> UInt8Array:
    array = np.asarray(image)
    return array[:, :, None] if channels == 1 else array
