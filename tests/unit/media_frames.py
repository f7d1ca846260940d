"""Shared by the media tests: solid test frames, and decoding what `encode_image` made."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from freesora.media.encode import EncodedImage, decode_data_url

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
