"""The key, the base URL and the proxy: read from the environment or a file outside the pack.

`settings` reads them (never from a node widget), `store` writes the config file (atomic,
private), `key_form` checks what the frontend's key form sends. Every public name is here, as
`config.X`. May import only `errors`.
"""

from __future__ import annotations

from .key_form import (
    KEY_MAX_CHARS,
    KEY_MIN_CHARS,
    PROFILE_NAME_MAX,
    check_key_form,
    check_profile_name,
    key_status,
)
from .settings import (
    DATABASE_SCHEMES,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_PROFILE,
    ENV_BASE_URL,
    ENV_CONFIG,
    ENV_DAILY_BUDGET,
    ENV_JOURNAL,
    ENV_KEY,
    ENV_MAX_DOWNLOAD,
    KEY_HELP,
    ApiKey,
    Settings,
    clean_key,
    config_path,
    is_database_url,
    load_settings,
    max_download_bytes,
    normalize_base_url,
    normalize_journal,
    profile_problem,
    read_config_file,
)
from .store import fsync_folder, remove_key, save_profile

__all__ = [
    "DATABASE_SCHEMES",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "DEFAULT_PROFILE",
    "ENV_BASE_URL",
    "ENV_CONFIG",
    "ENV_DAILY_BUDGET",
    "ENV_JOURNAL",
    "ENV_KEY",
    "ENV_MAX_DOWNLOAD",
    "KEY_HELP",
    "KEY_MAX_CHARS",
    "KEY_MIN_CHARS",
    "PROFILE_NAME_MAX",
    "ApiKey",
    "Settings",
    "check_key_form",
    "check_profile_name",
    "clean_key",
    "config_path",
    "fsync_folder",
    "is_database_url",
    "key_status",
    "load_settings",
    "max_download_bytes",
    "normalize_base_url",
    "normalize_journal",
    "profile_problem",
    "read_config_file",
    "remove_key",
    "save_profile",
]
