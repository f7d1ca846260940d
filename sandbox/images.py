"""Image-field checks of the sandbox (`imageData`, `imageUrl`); owns no other rule and no I/O.

Written from API.md, not from the pack's schemas, so that the two can be compared.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Pillow's format name for each MIME subtype the service accepts.
IMAGE_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_DATA_URL = re.compile(r"data:image/(?P<kind>[a-z]+);base64,(?P<payload>.*)", re.DOTALL)
# Base64 grows data by 4/3; anything longer cannot decode to <= 10 MB, so we refuse before decoding.
_MAX_PAYLOAD_CHARS = (MAX_IMAGE_BYTES + 2) // 3 * 4


def check_image_data(value: object) -> list[str]:
    """Problems with an `imageData` value: a decodable PNG/JPEG/WEBP data URL of at most 10 MB."""
    if not isinstance(value, str):
        return [f"imageData: must be a string data URL, got {type(value).__name__}"]
    match = _DATA_URL.fullmatch(value)
    if match is None:
        return [
            "imageData: must be a data URL 'data:image/(png|jpeg|webp);base64,...', "
            f"got {value[:40]!r}"
        ]
    kind, payload = match["kind"], match["payload"]
    if kind not in IMAGE_FORMATS:
        return [f"imageData: image type must be png, jpeg or webp, got {kind!r}"]
    if len(payload) > _MAX_PAYLOAD_CHARS:
        return [f"imageData: must be at most {MAX_IMAGE_BYTES} bytes decoded, got more"]
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return ["imageData: the base64 payload does not decode"]
    if not raw:
        return ["imageData: the base64 payload is empty"]
    if len(raw) > MAX_IMAGE_BYTES:
        return [f"imageData: must be at most {MAX_IMAGE_BYTES} bytes decoded, got {len(raw)}"]
    return _check_decodes_as(raw, kind)


def _check_decodes_as(raw: bytes, kind: str) -> list[str]:
    expected = IMAGE_FORMATS[kind]
    try:
        with Image.open(io.BytesIO(raw)) as image:
            actual = image.format
            # load() decodes the pixels: a valid header over truncated data must still fail.
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return [f"imageData: the payload is not a decodable {kind} image"]
    if actual != expected:
        return [f"imageData: declared image/{kind} but the payload is {actual}"]
    return []


def check_image_url(value: object) -> list[str]:
    """Problems with an `imageUrl` value: an absolute http(s) URL with a host."""
    if not isinstance(value, str):
        return [f"imageUrl: must be a string URL, got {type(value).__name__}"]
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return [f"imageUrl: must be an absolute http(s) URL, got {value[:80]!r}"]
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [f"imageUrl: must be an absolute http(s) URL, got {value[:80]!r}"]
    return []
