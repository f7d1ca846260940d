"""Hostile IMAGE values: each is refused with a clear InvalidImageError or encoded within 10 MB.

Huge frames are float `np.broadcast_to` views wrapped in `NoCopy`, an ndarray that fails the test
on the first ufunc (float frames are reduced with min() before anything is copied), astype or
copy: a refusal must come from the shape alone, so these cases stay memory-safe even if the pack
regresses. Every case also runs under tracemalloc with a 200 MiB ceiling.
"""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from PIL import Image

from freesora.create.plan import plan_image_tasks
from freesora.errors import InvalidImageError, InvalidRequestError
from freesora.media.encode import EncodedImage, decode_data_url, encode_image
from freesora.sandbox.validation import validate_create

TEN_MB = 10 * 1024 * 1024
# numpy reports its buffers to tracemalloc; none of these cases may need more than this.
MAX_TRACED_BYTES = 200 * 1024 * 1024
NODE_WIDGETS: dict[str, Any] = {
    "model": "sora-2-image-to-video",
    "prompt": "The boat drifts away",
    "image_url": "",
    "aspect_ratio": "auto",
    "n_frames": "10",
    "size": "standard",
    "remove_watermark": True,
    "is_public": True,
}


class NoCopy(np.ndarray):
    """A view that refuses to be computed on or copied: touching its pixels fails the test."""

    def _touched(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the pack touched the pixels of a {self.shape} view")

    __array_ufunc__ = _touched
    __array_function__ = _touched
    astype = copy = tobytes = __array__ = _touched


def no_copy(value: float, shape: tuple[int, ...], dtype: Any = np.float32) -> NoCopy:
    return np.broadcast_to(np.asarray(value, dtype), shape).view(NoCopy)


def gradient(height: int = 6, width: int = 10, channels: int = 3, dtype: Any = np.float32) -> Any:
    """A frame whose every pixel differs, so that a wrong stride shows in the output."""
    values = np.arange(height * width * channels, dtype=np.float64).reshape(height, width, channels)
    return (values / values.max()).astype(dtype)


class DuckTensor:
    """torch-like without torch: only detach/cpu/numpy (and float for bfloat16-like values)."""

    def __init__(self, array: Any, *, numpy_fails: bool = False) -> None:
        self._array, self._numpy_fails = array, numpy_fails

    def detach(self) -> DuckTensor:
        return self

    def cpu(self) -> DuckTensor:
        return self

    def float(self) -> DuckTensor:
        return DuckTensor(self._array.astype(np.float32))

    def numpy(self) -> Any:
        if self._numpy_fails:
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._array


class IndexableDuck(DuckTensor):
    """Like a torch tensor also in having `shape` and being indexable per frame."""

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._array.shape)

    def __getitem__(self, index: int) -> IndexableDuck:
        return IndexableDuck(self._array[index])


@dataclass(frozen=True)
class Refused:
    """Refused naming `image`; the message says what is allowed (`fragment`)."""

    fragment: str


@dataclass(frozen=True)
class Encoded:
    """Encoded by default (JPEG, no fit) at this size; `colour` is the first pixel's RGB."""

    width: int
    height: int
    colour: tuple[int, int, int] | None = None


def full(value: float, shape: tuple[int, ...], dtype: Any = np.float32) -> Any:
    return np.full(shape, value, dtype)


def with_pixel(value: float, dtype: Any = np.float32) -> Any:
    frame = np.full((4, 4, 3), 0.5, dtype)
    frame[2, 1, 0] = value
    return frame


SHAPES = "[B,H,W,C], [H,W,C] or [H,W] with C = 1..4"
LEVELS = "float 0..1 or integer 0..255"
CASES: list[Any] = [
    # Non-finite values
    pytest.param(lambda: full(np.nan, (4, 4, 3)), Refused("NaN"), id="all-nan"),
    pytest.param(lambda: with_pixel(np.nan), Refused("NaN"), id="one-nan-pixel"),
    pytest.param(lambda: with_pixel(np.nan, np.float16), Refused("NaN"), id="nan-float16"),
    pytest.param(lambda: with_pixel(np.inf), Refused("finite values 0..1"), id="plus-inf"),
    pytest.param(lambda: with_pixel(-np.inf), Refused("finite values 0..1"), id="minus-inf"),
    pytest.param(lambda: with_pixel(np.inf, np.float64), Refused("finite"), id="inf-float64"),
    # Empty
    pytest.param(lambda: np.zeros((0, 4, 3)), Refused("non-empty"), id="zero-height"),
    pytest.param(lambda: np.zeros((4, 0, 3)), Refused("non-empty"), id="zero-width"),
    pytest.param(lambda: np.zeros((4, 4, 0)), Refused("non-empty"), id="zero-channels"),
    pytest.param(lambda: np.zeros((0, 0)), Refused("non-empty"), id="empty-2d"),
    pytest.param(lambda: np.zeros((0, 4, 4, 3)), Refused("at least one frame"), id="batch-of-0"),
    pytest.param(lambda: np.zeros((1, 0, 4, 3)), Refused("non-empty"), id="batch-zero-height"),
    # Sizes
    pytest.param(lambda: full(0.5, (1, 1, 3)), Encoded(1, 1, (128, 128, 128)), id="1x1"),
    pytest.param(lambda: full(0.5, (1, 1, 1, 1)), Encoded(1, 1), id="1x1-gray-batch"),
    pytest.param(
        lambda: no_copy(0.5, (16384, 16384, 3)), Refused("at most 100 MP"), id="16384x16384"
    ),
    pytest.param(
        lambda: no_copy(0.5, (2, 16384, 16384, 3)), Refused("at most 100 MP"), id="batch-16k"
    ),
    pytest.param(lambda: no_copy(0.5, (10, 20000, 3)), Refused("16384 px"), id="20000x10"),
    pytest.param(lambda: no_copy(0.5, (20000, 10, 3)), Refused("16384 px"), id="10x20000"),
    pytest.param(
        lambda: np.broadcast_to(np.float32(0.5), (16384, 1, 3)), Encoded(1, 3840), id="1x16384"
    ),
    # Channels and dimensions
    pytest.param(lambda: gradient(channels=1), Encoded(10, 6), id="1-channel"),
    pytest.param(lambda: gradient(channels=2), Encoded(10, 6), id="2-channels"),
    pytest.param(lambda: gradient(channels=3), Encoded(10, 6), id="3-channels"),
    pytest.param(lambda: gradient(channels=4), Encoded(10, 6), id="4-channels"),
    pytest.param(lambda: gradient()[:, :, 0], Encoded(10, 6), id="2d-gray"),
    pytest.param(lambda: np.zeros((4, 4, 5)), Refused("1 to 4 channels"), id="5-channels"),
    pytest.param(lambda: np.zeros((1, 1, 4, 4, 3)), Refused(SHAPES), id="5d"),
    pytest.param(lambda: np.zeros(4), Refused(SHAPES), id="1d"),
    pytest.param(lambda: np.float32(0.5), Refused(SHAPES), id="0d-scalar"),
    # Integer and other dtypes
    pytest.param(lambda: full(200, (4, 4, 3), np.uint8), Encoded(4, 4, (200,) * 3), id="uint8"),
    pytest.param(lambda: full(200, (4, 4, 3), np.int16), Encoded(4, 4, (200,) * 3), id="int16"),
    pytest.param(lambda: full(200, (4, 4, 3), np.int64), Encoded(4, 4, (200,) * 3), id="int64"),
    pytest.param(lambda: full(256, (4, 4, 3), np.int64), Refused(LEVELS), id="int64-256"),
    pytest.param(lambda: full(2**40, (4, 4, 3), np.int64), Refused(LEVELS), id="int64-huge"),
    pytest.param(lambda: full(-1, (4, 4, 3), np.int8), Refused(LEVELS), id="int8-negative"),
    pytest.param(lambda: full(65535, (4, 4, 3), np.uint16), Refused("65535"), id="uint16-16bit"),
    pytest.param(lambda: np.ones((4, 4, 3), bool), Refused(LEVELS), id="bool"),
    pytest.param(lambda: np.zeros((4, 4, 3), complex), Refused(LEVELS), id="complex"),
    pytest.param(lambda: np.zeros((4, 4, 3), object), Refused(LEVELS), id="object"),
    pytest.param(lambda: full(0.5, (4, 4, 3), np.float64), Encoded(4, 4, (128,) * 3), id="f64"),
    pytest.param(lambda: full(0.5, (4, 4, 3), np.float16), Encoded(4, 4, (128,) * 3), id="f16"),
    pytest.param(lambda: full(6e4, (4, 4, 3), np.float16), Encoded(4, 4, (255,) * 3), id="f16-max"),
    # Out of range floats are clipped
    pytest.param(lambda: full(-0.5, (4, 4, 3)), Encoded(4, 4, (0, 0, 0)), id="negative"),
    pytest.param(lambda: full(-1e300, (4, 4, 3), np.float64), Encoded(4, 4, (0,) * 3), id="-1e300"),
    pytest.param(lambda: full(1.5, (4, 4, 3)), Encoded(4, 4, (255, 255, 255)), id="above-1"),
    pytest.param(lambda: full(1e300, (4, 4, 3), np.float64), Encoded(4, 4, (255,) * 3), id="1e300"),
    # Non-contiguous memory
    pytest.param(lambda: gradient(12, 30)[::2, ::3], Encoded(10, 6), id="stepped-slice"),
    pytest.param(lambda: gradient(10, 6).transpose(1, 0, 2), Encoded(10, 6), id="transposed"),
    pytest.param(lambda: np.asfortranarray(gradient()), Encoded(10, 6), id="fortran-order"),
    pytest.param(lambda: gradient()[::-1, ::-1], Encoded(10, 6), id="negative-strides"),
    pytest.param(lambda: gradient(channels=4)[..., :3], Encoded(10, 6), id="channel-slice"),
    pytest.param(
        lambda: (gradient(12, 20) * 255).astype(np.uint8)[::2, ::2], Encoded(10, 6), id="uint8-step"
    ),
    # Not arrays, or arrays in disguise
    pytest.param(lambda: DuckTensor(gradient()), Encoded(10, 6), id="duck-3d"),
    pytest.param(lambda: DuckTensor(np.stack([gradient()] * 2)), Encoded(10, 6), id="duck-batch"),
    pytest.param(lambda: IndexableDuck(np.stack([gradient()] * 2)), Encoded(10, 6), id="duck-idx"),
    pytest.param(
        lambda: DuckTensor(gradient(dtype=np.float16), numpy_fails=True),
        Encoded(10, 6),
        id="duck-bfloat16-like",
    ),
    pytest.param(lambda: DuckTensor(full(np.nan, (4, 4, 3))), Refused("NaN"), id="duck-nan"),
    pytest.param(lambda: None, Refused("IMAGE array"), id="none"),
    pytest.param(lambda: [[[0.5] * 3] * 4] * 4, Refused("IMAGE array"), id="nested-list"),
    pytest.param(lambda: "image.png", Refused("IMAGE array"), id="string"),
]


def traced(call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """The result of `call` or the exception it raised, after checking its peak allocation."""
    tracemalloc.start()
    try:
        return call(), None
    except Exception as exc:
        return None, exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak <= MAX_TRACED_BYTES, f"allocated {peak / 2**20:.0f} MiB"


def check_refused(error: BaseException | None, fragment: str) -> None:
    assert isinstance(error, InvalidImageError), f"expected InvalidImageError, got {error!r}"
    assert error.field == "image"
    assert str(error).startswith("image must"), str(error)
    assert fragment in str(error)


def opened(encoded: EncodedImage) -> Image.Image:
    """The decoded payload, checked against the service's limit and the reported size."""
    mime, data = decode_data_url(encoded.data_url)
    assert mime in ("image/jpeg", "image/png", "image/webp")
    assert len(data) == encoded.bytes <= TEN_MB
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.size == (encoded.width, encoded.height)
    return image


@pytest.mark.parametrize(("make", "expected"), CASES)
def test_encode_image_refuses_clearly_or_encodes_within_10_mb(
    make: Callable[[], Any], expected: Refused | Encoded
) -> None:
    image = make()
    encoded, error = traced(lambda: encode_image(image))
    if isinstance(expected, Refused):
        check_refused(error, expected.fragment)
        return
    assert error is None, f"expected an encoding, got {error!r}"
    decoded = opened(encoded)
    assert decoded.size == (expected.width, expected.height)
    if expected.colour is not None:
        first = np.asarray(decoded.convert("RGB"))[0, 0].astype(int)
        assert np.abs(first - expected.colour).max() <= 2, first


@pytest.mark.parametrize(("make", "expected"), CASES)
def test_the_image_node_plans_accepted_requests_or_refuses_naming_image(
    make: Callable[[], Any], expected: Refused | Encoded
) -> None:
    image = make()
    planned, error = traced(lambda: plan_image_tasks(image, fit="crop", **NODE_WIDGETS))
    if image is None:  # no image connected, and no image_url either
        assert isinstance(error, InvalidRequestError), repr(error)
        assert error.field == "image"
        return
    if isinstance(expected, Refused):
        check_refused(error, expected.fragment)
        return
    assert error is None, f"expected planned tasks, got {error!r}"
    assert planned
    for task in planned:
        assert task.image is not None
        opened(task.image)
        assert validate_create(task.request.to_payload()) == []


@pytest.mark.parametrize(
    "make",
    [
        lambda: gradient(12, 30)[::2, ::3],
        lambda: gradient(10, 6).transpose(1, 0, 2),
        lambda: np.asfortranarray(gradient(channels=4)),
        lambda: gradient()[::-1, ::-1],
        lambda: gradient(channels=4)[..., 1:],
        lambda: (gradient(12, 20, 2) * 255).astype(np.uint8)[::2, ::2],
    ],
    ids=["stepped", "transposed", "fortran-rgba", "reversed", "channel-slice", "uint8-gray-alpha"],
)
def test_non_contiguous_frames_encode_exactly_like_their_contiguous_copies(
    make: Callable[[], Any],
) -> None:
    view = make()
    assert not view.flags.c_contiguous
    as_view = np.asarray(opened(encode_image(view, fmt="png")))
    as_copy = np.asarray(opened(encode_image(np.ascontiguousarray(view), fmt="png")))
    np.testing.assert_array_equal(as_view, as_copy)


@pytest.mark.parametrize(("low", "high"), [(-3.0, 4.0), (-1e30, 1e30)], ids=["small", "huge"])
def test_out_of_range_floats_are_clipped_to_black_and_white(low: float, high: float) -> None:
    frame = np.array([[[low] * 3, [0.5] * 3, [high] * 3]], np.float32)
    pixels = np.asarray(opened(encode_image(frame, fmt="png")))
    assert pixels[0].tolist() == [[0, 0, 0], [128, 128, 128], [255, 255, 255]]


def test_a_noisy_frame_whose_png_exceeds_10_mb_is_scaled_until_it_fits() -> None:
    noise = np.random.default_rng(7).integers(0, 256, (1900, 1900, 3), dtype=np.uint8)
    encoded = encode_image(noise, fmt="png")
    assert encoded.scaled_from == (1900, 1900)
    assert max(encoded.width, encoded.height) < 1900
    opened(encoded)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_an_ndarray_subclass_that_stays_2d_is_encoded_or_refused() -> None:
    image = np.asmatrix(np.full((4, 4), 0.5))
    _, error = traced(lambda: encode_image(image))
    assert error is None or isinstance(error, InvalidImageError), repr(error)
