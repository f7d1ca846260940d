"""IMAGE -> data URL, the input side: dtypes and rounding, channels and alpha, batches, duck
typing, and every rejected array or option."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from media_frames import RED, decoded, pixels, solid

from freesora.errors import InvalidImageError, InvalidRequestError
from freesora.media.encode import batch_size, encode_image, orientation_of, to_uint8_frames


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
