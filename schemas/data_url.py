"""The one reader of `data:<mime>;base64,<payload>` URLs: requests, media and the ledger use it."""

from __future__ import annotations

import base64
import binascii

from ..errors import InvalidImageError

_FORM = "must be a base64 data URL (data:image/png;base64,...)"


def split_data_url(data_url: str) -> tuple[str, str]:
    """(mime, base64 payload) without decoding; raises when the URL has not that form."""
    header, sep, payload = data_url.partition(",")
    if not sep or not header.startswith("data:") or not header.endswith(";base64"):
        shown = data_url[:40] + ("..." if len(data_url) > 40 else "")
        raise InvalidImageError(f"image {_FORM}, got {shown!r}", field="image")
    return header[len("data:") : -len(";base64")], payload


def decoded_size(data_url: str) -> int:
    """Bytes the base64 payload decodes to, computed from its length (nothing decoded)."""
    payload = data_url.partition(",")[2]
    return len(payload) * 3 // 4 - payload[-2:].count("=")


def decode_data_url(data_url: str) -> tuple[str, bytes]:
    """(mime, decoded bytes); strict base64, so a truncated or corrupted payload is refused."""
    mime, payload = split_data_url(data_url)
    try:
        return mime, base64.b64decode(payload, validate=True)
    except binascii.Error:
        raise InvalidImageError(
            "image holds invalid or truncated base64 data", field="image"
        ) from None
