"""What the key form (the frontend's settings) accepts: a key's form and a profile's name,
checked without ever repeating a value that may be a pasted key (what the form is told about a
key: `disclosure.key_status`).
"""

from __future__ import annotations

from ..errors import ConfigError
from .settings import DEFAULT_PROFILE, clean_key

KEY_MIN_CHARS, KEY_MAX_CHARS = 8, 512
KEY_PREFIX = "sk-"  # every key the service issues starts so (API.md)
PROFILE_NAME_MAX = 64


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
    if not key.startswith(KEY_PREFIX):
        raise ConfigError(
            f"api_key must start with {KEY_PREFIX} (keys look like {KEY_PREFIX}...): copy it "
            "again from your account page"
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
