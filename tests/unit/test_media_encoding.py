"""IMAGE -> data URL, the output side: formats, fit to 16:9 or 9:16, the byte budget, image
files (the CLI) and decoding data URLs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from media_frames import RED, decoded, pixels, solid
from PIL import Image

from freesora.errors import InvalidImageError
from freesora.media.encode import (
    MAX_IMAGE_BYTES,
    decode_data_url,
    encode_file,
    encode_image,
    image_to_data_url,
    to_uint8_frames,
)
from freesora.schemas import AspectRatio
from freesora.schemas.models import Size, VideoModel, render_frame

# --- Output form ---------------------------------------------------------------------------------


def test_default_is_a_jpeg_data_url_of_the_first_frame_at_full_size() -> None:
    batch = np.stack([solid(36, 64, RED), solid(36, 64, (0.0, 0.0, 1.0))])
    result = encode_image(batch)
    assert result.data_url.startswith("data:image/jpeg;base64,")
    assert (result.fmt, result.width, result.height, result.quality) == ("jpeg", 64, 36, 98)
    assert decoded(result).format == "JPEG"
    assert decoded(result).size == (64, 36)
    assert result.bytes == len(decode_data_url(result.data_url)[1])
    assert np.abs(pixels(result)[18, 32] - [255, 0, 0]).max() <= 2


@pytest.mark.parametrize(
    ("fmt", "mime", "pil_format"),
    [
        ("png", "image/png", "PNG"),
        ("webp", "image/webp", "WEBP"),
        ("jpg", "image/jpeg", "JPEG"),
    ],
)
def test_each_format_gives_its_own_mime_type_and_file(fmt: str, mime: str, pil_format: str) -> None:
    result = encode_image(solid(16, 16, (0.2, 0.4, 0.6)), fmt=fmt)
    assert decode_data_url(result.data_url)[0] == mime
    assert decoded(result).format == pil_format


def test_png_reports_no_quality_and_describe_says_what_was_done() -> None:
    png = encode_image(solid(64, 64, RED), fmt="png", fit="crop", aspect_ratio="landscape")
    assert png.quality is None
    assert re.fullmatch(r"PNG 64x36, \d+ KB \(crop to 16:9\)", png.describe())
    jpeg = encode_image(solid(64, 64, RED))
    assert re.fullmatch(r"JPEG 64x64, \d+ KB, q=98", jpeg.describe())


def test_image_to_data_url_encodes_the_first_frame_as_default_jpeg() -> None:
    batch = np.stack([solid(8, 8, RED), solid(8, 8, (0.0, 1.0, 0.0))])
    data_url = image_to_data_url(batch)
    assert data_url.startswith("data:image/jpeg;base64,")
    assert np.abs(pixels(data_url)[4, 4] - [255, 0, 0]).max() <= 2


# --- Fit to the target orientation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "fit", "aspect", "expected"),
    [
        ((64, 64), "crop", "landscape", (64, 36)),
        ((64, 64), "pad", "landscape", (114, 64)),
        ((64, 64), "crop", "portrait", (36, 64)),
        ((64, 64), "pad", "portrait", (64, 114)),
        ((200, 50), "crop", "portrait", (28, 50)),
        ((200, 50), "pad", "portrait", (200, 356)),
        ((200, 50), "crop", "landscape", (89, 50)),
        ((160, 90), "crop", "landscape", (160, 90)),
        ((64, 64), "none", "landscape", (64, 64)),
        ((64, 48), "crop", None, (64, 48)),
    ],
)
def test_fit_gives_exact_16_9_or_9_16_sizes(
    size: tuple[int, int], fit: str, aspect: str | None, expected: tuple[int, int]
) -> None:
    result = encode_image(np.zeros((size[1], size[0], 3)), fit=fit, aspect_ratio=aspect)
    assert (result.width, result.height) == expected
    assert decoded(result).size == expected


def test_crop_keeps_the_centre() -> None:
    frame = solid(40, 120, (1.0, 0, 0))  # red | green | red, green in the centre third
    frame[:, 40:80] = (0, 1.0, 0)
    result = encode_image(frame, fmt="png", fit="crop", aspect_ratio="portrait")
    assert (result.width, result.height) == (23, 40)  # 40 * 9/16 = 22.5 rounds up
    assert (pixels(result) == [0, 255, 0]).all()


@pytest.mark.parametrize("channels", [3, 4])
def test_pad_adds_opaque_black_bars_around_the_whole_image(channels: int) -> None:
    frame = solid(64, 64, (1.0, 1.0, 1.0, 1.0)[:channels])
    result = encode_image(frame, fmt="png", fit="pad", aspect_ratio="landscape")
    got = pixels(result)
    assert got.shape[:2] == (64, 114)
    assert (got[:, 0] == [0, 0, 0, 255][:channels]).all()
    assert (got[:, 25:89] == 255).all()
    assert result.fitted == "pad to 16:9"


def test_the_schemas_aspect_ratio_enum_is_accepted() -> None:
    result = encode_image(np.zeros((64, 64, 3)), fit="crop", aspect_ratio=AspectRatio.PORTRAIT)
    assert (result.width, result.height) == (36, 64)


# --- Size limits and the byte budget -------------------------------------------------------------


def test_1080p_is_not_downscaled_by_default() -> None:
    result = encode_image(np.zeros((1080, 1920, 3), dtype=np.uint8))
    assert (result.width, result.height, result.scaled_from) == (1920, 1080, None)


def test_the_longest_side_is_capped_at_max_side() -> None:
    result = encode_image(np.zeros((100, 200, 3)), max_side=100)
    assert (result.width, result.height, result.scaled_from) == (100, 50, (200, 100))
    assert "scaled down from 200x100" in result.describe()


def test_just_over_budget_steps_quality_down_and_keeps_the_size() -> None:
    frame = np.random.default_rng(2).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    full = encode_image(frame)
    result = encode_image(frame, max_bytes=full.bytes - 1)
    assert (result.quality, result.width, result.height) == (90, 96, 96)
    assert result.bytes < full.bytes


def test_a_large_noisy_jpeg_is_brought_under_a_small_budget() -> None:
    noise = np.random.default_rng(3).integers(0, 256, (4096, 4096, 3), dtype=np.uint8)
    result = encode_image(noise, max_bytes=200_000)
    _, data = decode_data_url(result.data_url)
    assert result.bytes == len(data) <= 200_000
    assert result.quality == 70
    assert result.width == result.height < 4096
    assert decoded(result).size == (result.width, result.height)
    assert result.scaled_from == (4096, 4096)


def test_a_noisy_png_is_scaled_down_until_it_fits() -> None:
    noise = np.random.default_rng(4).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    result = encode_image(noise, fmt="png", max_bytes=200_000)
    assert result.bytes <= 200_000
    assert (result.quality, result.scaled_from) == (None, (1024, 1024))
    assert decoded(result).size == (result.width, result.height)
    assert result.width < 1024


def test_a_budget_no_size_can_meet_is_rejected_naming_image() -> None:
    noise = np.random.default_rng(5).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    with pytest.raises(InvalidImageError, match=r"image must fit in 1024 bytes as PNG"):
        encode_image(noise, fmt="png", max_bytes=1024)


def test_the_default_budget_is_the_services_10_mb() -> None:
    assert MAX_IMAGE_BYTES == 10 * 1024 * 1024


# --- Files (the CLI) -----------------------------------------------------------------------------


def test_a_png_file_keeps_its_alpha_and_a_jpeg_gets_it_composited(tmp_path: Path) -> None:
    path = tmp_path / "in.png"
    Image.new("RGBA", (8, 6), (0, 0, 255, 0)).save(path)
    assert decoded(encode_file(path, fmt="png")).getpixel((0, 0)) == (0, 0, 255, 0)
    assert np.abs(pixels(encode_file(path)) - 255).max() <= 2


def test_a_file_is_turned_upright_by_its_exif_orientation(tmp_path: Path) -> None:
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: stored 20x10, shown 10x20
    Image.new("RGB", (20, 10), (0, 128, 0)).save(path, exif=exif)
    result = encode_file(path, fit="crop", aspect_ratio="portrait")
    assert (result.width, result.height) == (10, 18)


def test_a_16_bit_gray_file_is_scaled_not_clipped(tmp_path: Path) -> None:
    path = tmp_path / "deep.png"
    Image.fromarray(np.full((4, 4), 32896, dtype=np.uint16)).save(path)  # 32896 / 257 = 128
    assert (pixels(encode_file(path, fmt="png")) == 128).all()


def test_an_unreadable_file_is_rejected_naming_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not an image")
    with pytest.raises(InvalidImageError, match=r"image must be a readable image file") as info:
        encode_file(path)
    assert info.value.field == "image"


# --- decode_data_url ------------------------------------------------------------------------------


def test_decode_data_url_returns_the_mime_type_and_bytes() -> None:
    assert decode_data_url("data:image/png;base64,aGVsbG8=") == ("image/png", b"hello")


@pytest.mark.parametrize(
    "data_url",
    ["image/png;base64,aGVsbG8=", "data:image/png,aGVsbG8=", "data:image/png;base64,!!!"],
)
def test_decode_data_url_rejects_malformed_urls(data_url: str) -> None:
    with pytest.raises(
        InvalidImageError, match=r"^image (must be a base64 data URL|holds invalid)"
    ):
        decode_data_url(data_url)


# --- The model's frame --------------------------------------------------------------------------


def _photo(width: int, height: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = [0.5 + 0.4 * np.sin(x / 37 + c) * np.cos(y / 23) for c in range(3)]
    return np.stack(rgb, -1)[None].astype(np.float32)


@pytest.mark.parametrize(
    ("model", "size", "ratio", "expected"),
    [
        ("sora-2-image-to-video", None, "landscape", (1280, 720)),
        ("sora-2-image-to-video", "high", "landscape", (1280, 720)),  # size is Pro-only
        ("sora-2-image-to-video-stable", None, "portrait", (720, 1280)),
        ("sora-2-pro-image-to-video", "standard", "landscape", (1280, 720)),
        ("sora-2-pro-image-to-video", "high", "landscape", (1792, 1024)),
        ("sora-2-pro-image-to-video", "high", "portrait", (1024, 1792)),
    ],
)
def test_each_model_renders_its_frame(
    model: str, size: str | None, ratio: str, expected: tuple[int, int]
) -> None:
    chosen = None if size is None else Size(size)
    assert render_frame(VideoModel(model), chosen, AspectRatio(ratio)) == expected


def test_a_4k_frame_is_cropped_and_scaled_to_720p_and_says_so() -> None:
    result = encode_image(
        _photo(3840, 2160), fit="crop", aspect_ratio="landscape", frame=(1280, 720)
    )
    assert (result.width, result.height) == (1280, 720)
    assert result.scaled_from == (3840, 2160)
    assert re.fullmatch(
        r"JPEG 1280x720, \d+ KB, q=98, scaled down from 3840x2160 \(crop to 16:9\)",
        result.describe(),
    )


def test_pro_high_crops_to_its_7_by_4_frame() -> None:
    result = encode_image(
        _photo(3840, 2160), fit="crop", aspect_ratio="landscape", frame=(1792, 1024)
    )
    assert (result.width, result.height) == (1792, 1024)
    assert result.fitted == "crop to 7:4"


def test_a_frame_smaller_than_the_models_is_never_upscaled() -> None:
    result = encode_image(_photo(640, 360), fit="crop", aspect_ratio="landscape", frame=(1280, 720))
    assert (result.width, result.height) == (640, 360)
    assert result.scaled_from is None


def test_fit_none_keeps_the_aspect_scaled_to_fit_inside_the_frame() -> None:
    result = encode_image(
        _photo(3000, 3000), fit="none", aspect_ratio="landscape", frame=(1280, 720)
    )
    assert (result.width, result.height) == (720, 720)


def test_pad_scales_into_the_frame_then_pads_to_it() -> None:
    result = encode_image(_photo(3000, 3000), fit="pad", aspect_ratio="portrait", frame=(720, 1280))
    assert (result.width, result.height) == (720, 1280)
    assert result.scaled_from == (3000, 3000)


def test_scaling_a_float_frame_matches_lanczos_on_the_8_bit_frame() -> None:
    """Box-averaging in float before converting is a cheaper order, not a worse picture."""
    image = _photo(1920, 1080)
    ours = pixels(encode_image(image, fmt="png", frame=(640, 360)))
    full = Image.fromarray(to_uint8_frames(image)[0]).resize((640, 360), Image.Resampling.LANCZOS)
    diff = ours.astype(np.float64) - np.asarray(full, dtype=np.float64)
    assert 10 * np.log10(255**2 / np.mean(diff**2)) >= 40.0


def test_nan_in_a_frame_that_is_scaled_is_still_refused() -> None:
    image = _photo(1920, 1080)
    image[0, 500, 700, 1] = np.nan
    with pytest.raises(InvalidImageError, match="NaN"):
        encode_image(image, frame=(1280, 720))


def test_an_8_bit_frame_is_scaled_to_the_frame_too() -> None:
    pixels = (_photo(2560, 1440)[0] * 255).astype(np.uint8)
    result = encode_image(pixels, fit="crop", aspect_ratio="landscape", frame=(1280, 720))
    assert (result.width, result.height) == (1280, 720)
