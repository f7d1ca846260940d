"""What identifies a take: the canonical request hash, and the ledger's secret for account ids.

The request hash covers every field sent and where it goes; image bytes are hashed, never kept.
The secret is random, kept beside the journal (0600) and never leaves it: with it, an account id
is a keyed hash of the API key that no table of known keys can reverse.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import write_private
from ..schemas.data_url import decode_data_url

SECRET_BYTES = 32


def request_hash(payload: Mapping[str, Any], base_url: str) -> str:
    """sha256 of the canonical request and the service it goes to (CPU-bound for big images:
    run it off the event loop)."""
    return _request_hash(_canonical(payload), base_url)


def request_hashes(payload: Mapping[str, Any], base_url: str, slot: int) -> tuple[str, str]:
    """(`request_hash`, the first journal format's fingerprint: base URL as given, slot and
    canonical request, so an earlier version's tasks are found again), the image hashed once."""
    canonical = _canonical(payload)
    return _request_hash(canonical, base_url), _legacy(canonical, base_url, slot)


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


def _legacy(canonical: dict[str, Any], base_url: str, slot: int) -> str:
    text = json.dumps([base_url, slot, canonical], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def secret_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".secret")


def secret_check(secret: bytes) -> str:
    """A mark of the secret the journal keeps (`keying`): tells its own secret from another
    one, and reveals nothing of it."""
    mark = hmac.new(secret, b"freesora: the secret of this journal", hashlib.sha256)
    return mark.hexdigest()[:32]


def load_secret(journal: Path, *, may_make: bool = True) -> bytes:
    """The ledger's secret, made on first use when `may_make` (else FileNotFoundError).
    Processes racing to make it agree on one: it is written privately and linked into place,
    which fails if another got there first."""
    path = secret_path(journal)
    try:
        return _read_secret(path)
    except FileNotFoundError:
        if not may_make:
            raise
    path.parent.mkdir(parents=True, exist_ok=True)
    # Published only if absent: when another process made it first, theirs is used.
    write_private(
        path, lambda handle: handle.write(secrets.token_bytes(SECRET_BYTES)), replace=False
    )
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) != SECRET_BYTES:
        # Never replaced silently: a new secret would give every account a new id, and every
        # earlier take would be created again.
        raise OSError(
            f"{path} holds {len(data)} bytes, not {SECRET_BYTES}: restore it from a backup"
        )
    return data
