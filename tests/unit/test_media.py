"""IMAGE -> data URL: shapes, dtypes, rounding, alpha, fit, the byte budget and every rejection."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from freesora.errors import InvalidImageError, InvalidRequestError
from freesora.media import (
    MAX_IMAGE_BYTES,
    EncodedImage,
    batch_size,
    decode_data_url,
    encode_file,
    encode_image,
    image_to_data_url,
    orientation_of,
    to_uint8_frames,
)
from freesora.schemas import AspectRatio

RED = (1.0, 0.0, 0.0)


def decoded(result: EncodedImage | str) -> Image.Image:
    data_url = result if isinstance(result, str) else result.data_url
    _, data = decode_data_url(data_url)
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pixels(result: EncodedImage | str) -> np.ndarray:
    return np.asarray(decoded(result)).astype(int)


def solid(height: int, width: int, colour: tuple[float, ...]) -> np.ndarray:
    return np.broadcast_to(np.asarray(colour, np.float32), (height, width, len(colour))).copy()


class FakeTensor:
    """Just enough of torch.Tensor: shape, indexing, detach/cpu/numpy; records conversions."""

    def __init__(self, array: np.ndarray, converted: list[tuple[int, ...]]) -> None:
        self.array, self.converted = array, converted
        self.shape = array.shape

    def __getitem__(self, index: int) -> FakeTensor:
        return FakeTensor(self.array[index], self.converted)

    def detach(self) -> FakeTensor:
        return self

    def cpu(self) -> FakeTensor:
        return self

    def numpy(self) -> np.ndarray:
        self.converted.append(self.array.shape)
        return self.array


class ArrayLike:
    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.array


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


# --- Values and dtypes ---------------------------------------------------------------------------


def test_floats_are_rounded_to_the_nearest_level_not_truncated() -> None:
    levels = np.array([[0.0, 0.4 / 255, 0.5 / 255, 0.6 / 255, 254.4 / 255, 254.6 / 255, 1.0]])
    assert to_uint8_frames(levels)[0, 0, :, 0].tolist() == [0, 0, 1, 1, 254, 255, 255]
    assert pixels(encode_image(levels, fmt="png"))[0, :, 0].tolist() == [0, 0, 1, 1, 254, 255, 255]


def test_values_outside_0_to_1_are_clipped() -> None:
    values = np.array([[-0.5, 1.7, 0.5, 1e300, -1e300, 1.001]])
    assert to_uint8_frames(values).ravel().tolist() == [0, 255, 128, 255, 0, 255]


def test_a_known_colour_survives_jpeg_within_two_levels() -> None:
    colour = (0.8, 0.3, 0.1)
    got = pixels(encode_image(solid(32, 32, colour)))
    assert np.abs(got - np.round(np.array(colour) * 255)).max() <= 2


def test_uint8_input_is_taken_as_is() -> None:
    frame = np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5
    assert pixels(encode_image(frame, fmt="png")).tolist() == frame.tolist()


def test_other_integer_dtypes_are_taken_as_8_bit_levels() -> None:
    frame = np.full((4, 4, 3), 200)  # int64, as np.full of a Python int gives
    assert (pixels(encode_image(frame, fmt="png")) == 200).all()


def test_integers_outside_0_to_255_are_rejected_with_a_hint() -> None:
    with pytest.raises(InvalidImageError, match=r"image must .*0\.\.255.*uint16.*65535") as info:
        encode_image(np.full((4, 4, 3), 1000, dtype=np.uint16))
    assert info.value.field == "image"


def test_boolean_arrays_are_rejected() -> None:
    with pytest.raises(InvalidImageError, match=r"image must hold float 0\.\.1 .* got dtype bool"):
        encode_image(np.ones((4, 4, 3), dtype=bool))


def test_float16_and_float64_are_accepted() -> None:
    for dtype in (np.float16, np.float64):
        frame = np.full((4, 4, 3), 0.5, dtype=dtype)
        assert (to_uint8_frames(frame) == 128).all()


def test_non_contiguous_arrays_encode_like_their_copies() -> None:
    rng = np.random.default_rng(1)
    frame = rng.random((12, 20, 3), dtype=np.float32)
    flipped = frame[:, ::-1]
    transposed = np.transpose(rng.random((20, 12, 3), dtype=np.float32), (1, 0, 2))
    for view in (flipped, transposed, frame[::2, ::3]):
        assert not view.flags.c_contiguous
        expected = pixels(encode_image(np.ascontiguousarray(view), fmt="png"))
        assert pixels(encode_image(view, fmt="png")).tolist() == expected.tolist()


# --- Channels and alpha --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "mode"),
    [
        ((6, 8), "RGB"),
        ((6, 8, 1), "RGB"),
        ((6, 8, 2), "RGBA"),
        ((6, 8, 3), "RGB"),
        ((6, 8, 4), "RGBA"),
    ],
)
def test_every_channel_count_becomes_rgb_or_rgba_in_png(shape: tuple[int, ...], mode: str) -> None:
    frame = np.full(shape, 0.6, dtype=np.float32)
    image = decoded(encode_image(frame, fmt="png"))
    assert (image.mode, image.size) == (mode, (8, 6))
    assert (np.asarray(image) == 153).all()


def test_alpha_is_composited_onto_white_for_jpeg() -> None:
    frame = solid(8, 24, (1.0, 0.0, 0.0, 1.0))
    frame[:, 8:16, 3] = 0.5
    frame[:, 16:, 3] = 0.0
    got = pixels(encode_image(frame))
    assert decoded(encode_image(frame)).mode == "RGB"
    assert np.abs(got[4, 4] - [255, 0, 0]).max() <= 3
    assert np.abs(got[4, 12] - [255, 128, 128]).max() <= 3
    assert np.abs(got[4, 20] - [255, 255, 255]).max() <= 3


def test_gray_and_alpha_is_composited_onto_white_for_jpeg() -> None:
    frame = np.zeros((8, 8, 2), dtype=np.float32)  # black, fully transparent
    assert np.abs(pixels(encode_image(frame)) - 255).max() <= 2


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_alpha_is_kept_for_png_and_webp(fmt: str) -> None:
    frame = solid(8, 8, (0.0, 0.0, 1.0, 0.25))
    image = decoded(encode_image(frame, fmt=fmt))
    assert image.mode == "RGBA"
    assert abs(int(np.asarray(image)[4, 4, 3]) - 64) <= (0 if fmt == "png" else 2)


# --- Batches, inputs, duck typing ----------------------------------------------------------------


def test_index_picks_the_frame_of_the_batch() -> None:
    batch = np.stack([solid(8, 8, c) for c in [(1.0, 0, 0), (0, 1.0, 0), (0, 0, 1.0)]])
    assert pixels(encode_image(batch, index=2, fmt="png"))[0, 0].tolist() == [0, 0, 255]


def test_an_index_outside_the_batch_is_rejected_naming_index() -> None:
    with pytest.raises(InvalidRequestError, match=r"index must be 0\.\.1 .*got 2") as info:
        encode_image(np.zeros((2, 4, 4, 3)), index=2)
    assert info.value.field == "index"


def test_batch_size_and_orientation_read_every_accepted_shape() -> None:
    assert [batch_size(np.zeros(s)) for s in [(5, 4, 6, 3), (4, 6, 3), (4, 6)]] == [5, 1, 1]
    assert orientation_of(np.zeros((2, 10, 10, 3))) == "landscape"
    assert orientation_of(np.zeros((10, 20))) == "landscape"
    assert orientation_of(np.zeros((1, 20, 10, 3))) == "portrait"
    assert orientation_of(np.zeros((3, 20, 10, 3)), index=2) == "portrait"
    with pytest.raises(InvalidRequestError, match=r"index must be 0\.\.2 .*got 3"):
        orientation_of(np.zeros((3, 20, 10, 3)), index=3)


def test_a_torch_like_tensor_is_converted_one_frame_at_a_time() -> None:
    converted: list[tuple[int, ...]] = []
    batch = FakeTensor(np.stack([solid(6, 10, RED), solid(6, 10, (0, 1.0, 0))]), converted)
    result = encode_image(batch, index=1, fmt="png")
    assert pixels(result)[0, 0].tolist() == [0, 255, 0]
    assert converted == [(6, 10, 3)]
    assert (batch_size(batch), orientation_of(batch)) == (2, "landscape")
    assert to_uint8_frames(batch).shape == (2, 6, 10, 3)


def test_objects_with_array_interface_are_accepted_and_others_rejected() -> None:
    assert encode_image(ArrayLike(solid(4, 4, RED)), fmt="png").width == 4
    with pytest.raises(InvalidImageError, match=r"image must be an IMAGE array .* got list"):
        encode_image([[0.0, 1.0]])


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


# --- Rejections ---------------------------------------------------------------------------------


def test_nan_values_are_rejected_naming_the_image_field() -> None:
    frame = np.zeros((4, 4, 3), dtype=np.float32)
    frame[1, 2, 0] = np.nan
    with pytest.raises(InvalidImageError, match=r"image must not contain NaN") as info:
        encode_image(frame)
    assert info.value.field == "image"


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_values_are_rejected_naming_the_image_field(value: float) -> None:
    frame = np.zeros((4, 4, 3))
    frame[0, 0, 0] = value
    with pytest.raises(InvalidImageError, match=r"image must hold finite values .* infinite"):
        encode_image(frame)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((0, 8, 8, 3), r"image must be a batch of at least one frame, got an empty batch"),
        ((8, 0, 3), r"image must be non-empty, got shape \(8, 0, 3\)"),
        ((8, 8, 0), r"image must be non-empty"),
        ((8,), r"image must be shaped \[B,H,W,C\].* got 1 dimensions"),
        ((1, 1, 8, 8, 3), r"image must be shaped .* got 5 dimensions"),
        ((8, 8, 5), r"image must be 1 to 4 channels .* got 5"),
        ((1, 8, 8, 7), r"image must be 1 to 4 channels .* got 7"),
        ((20000, 4, 3), r"image must be at most 16384 px on a side, got 4x20000"),
        ((12000, 12000, 3), r"image must be at most 100 MP, got 144 MP \(12000x12000\)"),
    ],
)
def test_absurd_shapes_are_rejected_naming_image(shape: tuple[int, ...], message: str) -> None:
    frame = np.broadcast_to(np.float32(0.5), shape)  # no memory, however large the shape
    with pytest.raises(InvalidImageError, match=message) as info:
        encode_image(frame)
    assert info.value.field == "image"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"fmt": "gif"}, "fmt"),
        ({"fit": "stretch"}, "fit"),
        ({"aspect_ratio": "square"}, "aspect_ratio"),
        ({"quality": 0}, "quality"),
        ({"quality": 101}, "quality"),
        ({"max_bytes": 10}, "max_bytes"),
        ({"max_side": 20000}, "max_side"),
    ],
)
def test_bad_options_are_rejected_naming_their_field(options: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequestError, match=rf"^{field} must be .* got") as info:
        encode_image(np.zeros((4, 4, 3)), **options)
    assert info.value.field == field


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
