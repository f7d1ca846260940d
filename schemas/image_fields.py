"""The image fields of a create request: a data URL the service can decode, or an http(s) URL.

Checked in full before anything is sent: the MIME type, the 10 MB decoded limit, the base64,
and that the bytes really are an image of the declared type.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections.abc import Iterator
from urllib.parse import urlsplit

from ..errors import InvalidImageError, InvalidRequestError, shown_value
from .data_url import decode_data_url, decoded_size, split_data_url
from .models import IMAGE_MIME_TYPES, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS

_fail = InvalidRequestError.about


def check_data_url(data_url: str) -> None:
    mime, _ = split_data_url(data_url)
    if mime not in IMAGE_MIME_TYPES:
        raise _fail("image", f"must be JPEG, PNG or WEBP, got {mime or 'no type'}")
    if decoded_size(data_url) > MAX_IMAGE_BYTES:
        mb = decoded_size(data_url) / 1024 / 1024
        raise _fail("image", f"must be at most 10 MB once decoded, got {mb:.1f} MB")
    _check_image_bytes(decode_data_url(data_url)[1], mime)


def _check_image_bytes(raw: bytes, mime: str) -> None:
    """The bytes must be an image of the declared type (the service decodes it)."""
    from PIL import Image, UnidentifiedImageError  # here: keeps start-up light

    if not raw:
        raise _fail("image", "holds no image data")
    try:
        with quiet_bomb_warning(), Image.open(io.BytesIO(raw)) as picture:
            found = (picture.format or "").lower()
            check_pixels(*picture.size)
    except Image.DecompressionBombError as exc:
        raise too_many_pixels(None, str(exc)) from None
    except (UnidentifiedImageError, OSError):
        raise _fail("image", f"holds data that is not a {mime} image") from None
    if f"image/{found}" != mime:
        raise _fail("image", f"is declared {mime} but holds a {found.upper()} image")


@contextlib.contextmanager
def quiet_bomb_warning() -> Iterator[None]:
    """Pillow warns above 89 MP while opening; `check_pixels` refuses such headers anyway."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


def too_many_pixels(size: tuple[int, int] | None, pil_said: str = "") -> InvalidImageError:
    """The refusal naming the limit; `pil_said` is Pillow's own bomb message, if it spoke first."""
    side = int(MAX_IMAGE_PIXELS**0.5)
    claimed = re.search(r"\((\d+) pixels\)", pil_said)
    if size:
        got = f"{size[0]}x{size[1]}"
    else:
        got = f"{int(claimed.group(1)):,} pixels" if claimed else "far more (a decompression bomb)"
    return InvalidImageError(
        f"image must be at most {MAX_IMAGE_PIXELS:,} pixels ({side}x{side}), got {got}: "
        "scale it down first",
        field="image",
    )


def check_pixels(width: int, height: int) -> None:
    """Refuse absurd dimensions from the header, before a single pixel is decoded."""
    if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
        raise too_many_pixels((width, height))


def check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise _fail(
            "image_url", f"must be a public http(s) URL of an image, got {shown_value(url)}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise _fail(
            "image_url", f"must be a public http(s) URL of an image, got {shown_value(url)}"
        )
