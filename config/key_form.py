"""What the key form (the frontend's settings) accepts, and what it may be told about a key.

A key's form and a profile's name are checked without ever repeating a value that may be a
pasted key; the status says whether and where a key is set, never any of its text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, UnknownProfileError
from .settings import DEFAULT_PROFILE, clean_key, config_path, load_settings

KEY_MIN_CHARS, KEY_MAX_CHARS = 8, 512
PROFILE_NAME_MAX = 64
UNKNOWN_PROFILE = "This profile is not in the FreeSora config file yet: storing a key adds it."


def check_key_form(raw: object) -> str:
    """The cleaned key, or ConfigError saying what is wrong with its form (never its text)."""
    if not isinstance(raw, str):
        raise ConfigError(f"api_key must be a string, got {type(raw).__name__}")
    key = clean_key(raw)
    if not key:
        raise ConfigError("api_key is empty: paste the key from your FreeSoraGenerator account")
    if not KEY_MIN_CHARS <= len(key) <= KEY_MAX_CHARS:
        raise ConfigError(
            f"api_key must be {KEY_MIN_CHARS} to {KEY_MAX_CHARS} characters, got {len(key)}"
        )
    if not (key.isascii() and key.isprintable()) or any(ch.isspace() for ch in key):
        raise ConfigError(
            "api_key must be printable ASCII without spaces (keys look like sk-...): "
            "copy it again from your account page"
        )
    return key


def check_profile_name(raw: object) -> str:
    """A profile name (empty or missing: the default profile), or ConfigError."""
    if raw is None or raw == "":
        return DEFAULT_PROFILE
    ok = isinstance(raw, str) and 0 < len(raw.strip()) <= PROFILE_NAME_MAX
    name = raw.strip() if isinstance(raw, str) else ""
    if not ok or not all(ch.isalnum() or ch in "-_." for ch in name):
        raise ConfigError(
            f"profile must be up to {PROFILE_NAME_MAX} letters, digits, '-', '_' or '.' "
            "(the value is not repeated here: it may be a pasted key)"
        )
    if name.lower().startswith("sk-"):
        raise ConfigError("profile looks like an API key: paste the key into the key field")
    return name


def key_status(
    profile: str | None = None, env: Mapping[str, str] | None = None, *, show_path: bool = True
) -> dict[str, Any]:
    """Whether a key is set for `profile` and where it comes from: no key material at all.

    What the key form needs and no more: a missing profile is named, not the profiles there;
    the config file's path only with `show_path` (the page on this machine).
    """
    name = profile or DEFAULT_PROFILE
    try:
        settings = load_settings(name, env)
    except UnknownProfileError:
        return {"set": False, "source": None, "profile": name, "problem": UNKNOWN_PROFILE}
    except ConfigError as exc:
        problem = str(exc) if show_path else without_path(str(exc), env)
        return {"set": False, "source": None, "profile": name, "problem": problem}
    source = None
    if settings.api_key is not None:
        source = "environment" if settings.key_source.startswith("environment") else "config file"
    return {"set": settings.api_key is not None, "source": source, "profile": name}


def without_path(message: str, env: Mapping[str, str] | None = None) -> str:
    """`message` with the config file's path replaced by its role (for a caller elsewhere)."""
    return message.replace(str(config_path(env)), "the FreeSora config file")
