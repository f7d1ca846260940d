"""What identifies a take's request: the canonical request hash both stores key takes by.

The request hash covers every field sent and where it goes; image bytes are hashed, never kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..schemas.data_url import decode_data_url
from .upgrade import first_format_fingerprint


def request_hash(payload: Mapping[str, Any], base_url: str) -> str:
    """sha256 of the canonical request and the service it goes to (CPU-bound for big images:
    run it off the event loop)."""
    return _request_hash(_canonical(payload), base_url)


def request_hashes(payload: Mapping[str, Any], base_url: str, slot: int) -> tuple[str, str]:
    """(`request_hash`, the first journal format's fingerprint, `upgrade.first_format_fingerprint`,
    so an earlier version's tasks are found again), the image hashed once."""
    canonical = _canonical(payload)
    return _request_hash(canonical, base_url), first_format_fingerprint(canonical, base_url, slot)


def _canonical(payload: Mapping[str, Any]) -> dict[str, Any]:
    canonical = dict(payload)
    data_url = canonical.get("imageData")
    if isinstance(data_url, str):
        raw = decode_data_url(data_url)[1]
        canonical["imageData"] = "sha256:" + hashlib.sha256(raw).hexdigest()
    return canonical


def _request_hash(canonical: dict[str, Any], base_url: str) -> str:
    text = json.dumps([base_url.rstrip("/"), canonical], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
