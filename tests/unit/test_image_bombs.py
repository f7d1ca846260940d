"""Decompression bombs: a header claiming absurd dimensions gets the pack's image error.

A PNG claiming 30000x30000 is refused in the pack's words, never as PIL's
DecompressionBombError. Both readers are covered: image files (`media.imaging.read_pixels`, the
CLI's --image) and data URLs.
"""

from __future__ import annotations

import base64
import io
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest
from PIL import Image

from freesora.errors import InvalidImageError
from freesora.media.imaging import read_pixels
from freesora.schemas import build_create_request
from freesora.schemas.models import MAX_IMAGE_PIXELS

MB = 1024 * 1024


def png_claiming(width: int, height: int) -> bytes:
    """A real 1x1 PNG whose IHDR says `width` x `height` (CRC fixed, so PIL believes it)."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    start = 8 + 8  # signature, then the IHDR chunk's length and type
    data[start : start + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[start - 4 : start + 13]))
    data[start + 13 : start + 17] = struct.pack(">I", crc)
    return bytes(data)


CLAIMS = [(30000, 30000), (8193, 8192), (12000, 9000)]


@pytest.mark.parametrize(("width", "height"), CLAIMS)
def test_an_image_file_claiming_too_many_pixels_is_refused_naming_the_limit(
    tmp_path: Path, width: int, height: int
) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming(width, height))
    tracemalloc.start()
    try:
        with pytest.raises(InvalidImageError) as caught:
            read_pixels(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.field == "image"
    assert f"{MAX_IMAGE_PIXELS:,} pixels" in str(caught.value)
    # Pillow refuses the largest claims itself, by pixel count: either way the claim is named.
    assert f"{width}x{height}" in str(caught.value) or f"{width * height:,}" in str(caught.value)
    assert peak < 50 * MB  # refused from the header, before any pixel was decoded


@pytest.mark.parametrize(("width", "height"), CLAIMS)
def test_a_data_url_claiming_too_many_pixels_is_refused_naming_the_limit(
    width: int, height: int
) -> None:
    data_url = "data:image/png;base64," + base64.b64encode(png_claiming(width, height)).decode()
    with pytest.raises(InvalidImageError) as caught:
        build_create_request(
            model="sora-2-image-to-video", prompt="The boat drifts", image_data=data_url
        )
    assert caught.value.field == "image"
    assert f"{MAX_IMAGE_PIXELS:,} pixels" in str(caught.value)


def test_an_image_at_the_limit_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.png"
    Image.new("RGB", (64, 48)).save(path)
    assert read_pixels(path).shape == (48, 64, 3)
