"""The image fields of a create request: a data URL the service can decode, or an http(s) URL.

Checked in full before anything is sent: the MIME type, the 10 MB decoded limit, the base64,
and that the bytes really are an image of the declared type.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from ..errors import InvalidRequestError
from .data_url import decode_data_url, decoded_size, split_data_url
from .models import IMAGE_MIME_TYPES, MAX_IMAGE_BYTES

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
        with Image.open(io.BytesIO(raw)) as picture:
            found = (picture.format or "").lower()
    except (UnidentifiedImageError, OSError):
        raise _fail("image", f"holds data that is not a {mime} image") from None
    if f"image/{found}" != mime:
        raise _fail("image", f"is declared {mime} but holds a {found.upper()} image")


def check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise _fail("image_url", f"must be a public http(s) URL of an image, got {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise _fail("image_url", f"must be a public http(s) URL of an image, got {url!r}")
