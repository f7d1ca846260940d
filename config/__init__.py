"""The pack's settings, read from the environment or a file outside the pack (never a widget).

`settings` reads every FREESORA_* setting of a profile (the key, the base URL, the proxy, the
journal, the daily budget, the account's limits) and knows the per-user folders (the config
file, the default journal); `store` writes the config file through `private_file` (atomic,
private: the pack's one way to replace a file), `key_form` checks what the frontend's key form
sends, `hosts` says which Host names the pack's routes answer (FREESORA_ALLOWED_HOSTS),
`database_url` shows a PostgreSQL ledger's URL without its password (the one redaction of a
secret), `disclosure` decides what a caller who is not at the machine may be told, `credits`
holds the one range of credits it accepts (prices, budgets). Every public name is here, as
`config.X`. May import only `errors` (and psycopg, optionally, where a database URL is read).
"""

from __future__ import annotations

from .credits import MAX_CREDITS, credits_value
from .database_url import DATABASE_SCHEMES, is_database_url, shown_database
from .disclosure import Caller, key_status, profile_problem
from .hosts import (
    CONFIG_ALLOWED_HOSTS,
    ENV_ALLOWED_HOSTS,
    allowed_hosts,
    host_allowed,
    host_name,
    is_listed,
    peer_is_this_machine,
    unlisted_kind,
)
from .key_form import (
    KEY_MAX_CHARS,
    KEY_MIN_CHARS,
    PROFILE_NAME_MAX,
    check_key_form,
    check_profile_name,
)
from .private_file import fsync_folder, write_private
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_PROFILE,
    ENV_BASE_URL,
    ENV_CONFIG,
    ENV_CREATES_PER_10S,
    ENV_DAILY_BUDGET,
    ENV_JOURNAL,
    ENV_KEY,
    ENV_MAX_DOWNLOAD,
    ENV_MAX_IN_FLIGHT,
    ENV_START_WHEN_QUEUED,
    KEY_HELP,
    ApiKey,
    Settings,
    account_limit_settings,
    clean_key,
    config_path,
    default_journal_path,
    load_settings,
    max_download_bytes,
    normalize_base_url,
    normalize_journal,
    read_config_file,
    start_when_queued_setting,
)
from .store import remove_key, save_profile, why_not_written

__all__ = [
    "CONFIG_ALLOWED_HOSTS",
    "DATABASE_SCHEMES",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "DEFAULT_PROFILE",
    "ENV_ALLOWED_HOSTS",
    "ENV_BASE_URL",
    "ENV_CONFIG",
    "ENV_CREATES_PER_10S",
    "ENV_DAILY_BUDGET",
    "ENV_JOURNAL",
    "ENV_KEY",
    "ENV_MAX_DOWNLOAD",
    "ENV_MAX_IN_FLIGHT",
    "ENV_START_WHEN_QUEUED",
    "KEY_HELP",
    "KEY_MAX_CHARS",
    "KEY_MIN_CHARS",
    "MAX_CREDITS",
    "PROFILE_NAME_MAX",
    "ApiKey",
    "Caller",
    "Settings",
    "account_limit_settings",
    "allowed_hosts",
    "check_key_form",
    "check_profile_name",
    "clean_key",
    "config_path",
    "credits_value",
    "default_journal_path",
    "fsync_folder",
    "host_allowed",
    "host_name",
    "is_database_url",
    "is_listed",
    "key_status",
    "load_settings",
    "max_download_bytes",
    "normalize_base_url",
    "normalize_journal",
    "peer_is_this_machine",
    "profile_problem",
    "read_config_file",
    "remove_key",
    "save_profile",
    "shown_database",
    "start_when_queued_setting",
    "unlisted_kind",
    "why_not_written",
    "write_private",
]
