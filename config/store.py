"""Writing the config file: a profile's key and base URL in, a stored key out.

Every write goes through a fresh private file that replaces the old one atomically, so the
file is never half-written, never readable by others, and never written through a planted link.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigError
from .private_file import write_private
from .settings import DEFAULT_PROFILE, clean_key, config_path, normalize_base_url, read_config_file


def save_profile(
    profile: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Write one profile's values into the config file, readable by its owner only."""
    path = config_path(env)
    data = read_config_file(path)
    profiles = data.setdefault("profiles", {})
    entry = dict(profiles.get(profile) or {})
    if api_key is not None:
        entry["api_key"] = clean_key(api_key)
    if base_url is not None:
        entry["base_url"] = normalize_base_url(base_url, "base_url")
    profiles[profile] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_private(path, json.dumps(data, indent=2) + "\n")
    return path


def _write_private(path: Path, text: str) -> None:
    """Replace the file atomically with a private one (`private_file`: the key never reaches
    a planted link, and no other user can read it at any moment)."""
    data = text.encode("utf-8")
    try:
        write_private(path, lambda handle: handle.write(data))
    except FileExistsError as exc:
        raise ConfigError(str(exc)) from None


def remove_key(profile: str, env: Mapping[str, str] | None = None) -> bool:
    """Delete the profile's stored key (the file stays 0600); False when none was stored."""
    path = config_path(env)
    data = read_config_file(path)
    entry = (data.get("profiles") or {}).get(profile)
    removed = isinstance(entry, dict) and entry.pop("api_key", None) is not None
    if profile == DEFAULT_PROFILE and data.pop("api_key", None) is not None:
        removed = True  # the older flat layout keeps the default key at the top
    if removed:
        _write_private(path, json.dumps(data, indent=2) + "\n")
    return removed
