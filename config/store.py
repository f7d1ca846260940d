"""Writing the config file: a profile's key and base URL in, a stored key out.

Every write goes through a fresh private file that replaces the old one atomically, so the
file is never half-written, never readable by others, and never written through a planted link.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigError, KeyExistsError
from .key_form import check_key_form, check_profile_name
from .private_file import write_private
from .settings import (
    DEFAULT_PROFILE,
    ENV_CONFIG,
    config_path,
    normalize_base_url,
    read_config_file,
)


def save_profile(
    profile: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    replace_key: bool = True,
) -> Path:
    """Write one profile's values into the config file, readable by its owner only.

    The profile name and the key pass the key form's checks here, the one writer, so that the
    page and `freesora key set` refuse the same things. With `replace_key=False` a key already
    stored for the profile stays, and KeyExistsError says so (decided on the same read).
    """
    profile = check_profile_name(profile)
    path = config_path(env)
    data = read_config_file(path)
    profiles = data.setdefault("profiles", {})
    entry = dict(profiles.get(profile) or {})
    if api_key is not None:
        key = check_key_form(api_key)
        if not replace_key and _stored_key(data, profile):
            raise KeyExistsError(f"a key is already stored for profile {profile!r}")
        entry["api_key"] = key
    if base_url is not None:
        entry["base_url"] = normalize_base_url(base_url, "base_url")
    profiles[profile] = entry
    _write_private(path, json.dumps(data, indent=2) + "\n")
    return path


def _stored_key(data: Mapping[str, object], profile: str) -> bool:
    entry = (data.get("profiles") or {}).get(profile)  # type: ignore[attr-defined]
    if isinstance(entry, dict) and str(entry.get("api_key") or "").strip():
        return True
    flat = profile == DEFAULT_PROFILE and not isinstance(entry, dict)  # the older flat layout
    return flat and bool(str(data.get("api_key") or "").strip())


def _write_private(path: Path, text: str) -> None:
    """Replace the file atomically with a private one (`private_file`: the key never reaches
    a planted link, and no other user can read it at any moment)."""
    data = text.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, lambda handle: handle.write(data))
    except OSError as exc:  # a folder that cannot be made or written to, names being planted
        raise ConfigError(
            f"The config file {path} cannot be written: {why_not_written(exc)}; choose another "
            f"with {ENV_CONFIG}"
        ) from None


def why_not_written(exc: OSError) -> str:
    """Why a file or folder could not be made, as a person reads it (never a traceback)."""
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return "a part of its folder path is a file, not a folder"
    if isinstance(exc, PermissionError):
        return "this user may not write in its folder"
    return exc.strerror or type(exc).__name__


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
