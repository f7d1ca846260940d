"""Reading the settings: the key, the base URL, the proxy, the journal, the daily budget and the
account's limits of a profile, from the environment or the config file outside the pack, and
the per-user folders the pack keeps its config file and its default journal in. Every
FREESORA_* variable of the pack is read here (FREESORA_ALLOWED_HOSTS in `hosts`).

Never from a node widget (a widget value lands in workflows, PNG/MP4 metadata and /history).
The key is wrapped in `ApiKey` so that no repr, log line or exception message can show it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError, UnknownProfileError, shown_value
from .credits import credits_value
from .database_url import DATABASE_SCHEMES, database_parts, is_database_url, shown_database

DEFAULT_BASE_URL = "https://freesoragenerator.com"
DEFAULT_PROFILE = "default"
ENV_KEY = "FREESORA_API_KEY"
ENV_BASE_URL = "FREESORA_BASE_URL"
ENV_CONFIG = "FREESORA_CONFIG"
ENV_MAX_DOWNLOAD = "FREESORA_MAX_DOWNLOAD_BYTES"
# Far above a 25 s 1080p clip (tens of MB); stops a runaway body from filling the disk.
DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024**3
ENV_JOURNAL = "FREESORA_JOURNAL"
ENV_DAILY_BUDGET = "FREESORA_DAILY_BUDGET"
ENV_MAX_IN_FLIGHT = "FREESORA_MAX_IN_FLIGHT"
ENV_CREATES_PER_10S = "FREESORA_CREATES_PER_10S"
ENV_START_WHEN_QUEUED = "FREESORA_START_WHEN_QUEUED"
_SWITCH_WORDS = {"1": True, "true": True, "yes": True, "on": True}
_SWITCH_WORDS |= {"0": False, "false": False, "no": False, "off": False}
# The older flat layout: the default profile's values at the file's top level.
FLAT_KEYS = ("api_key", "base_url", "proxy", "journal", "daily_budget")

KEY_HELP = (
    f"Set the {ENV_KEY} environment variable before starting ComfyUI, or run "
    "`python run_freesora.py key set` in the pack's folder (or `freesora key set`) to store it "
    "in the config file (see the README, 'Your API key')."
)


class ApiKey:
    """A secret that shows itself only through `reveal()`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "ApiKey('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Where requests go and with which key; `key_source` says where the key was found."""

    base_url: str
    api_key: ApiKey | None
    key_source: str
    profile: str = DEFAULT_PROFILE
    proxy: str | None = None
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
    # The profile's ledger: a file path or a postgresql:// URL (which may hold a password:
    # never in a repr; `database_url.shown_database` shows it).
    journal: str | None = field(default=None, repr=False)
    daily_budget: float | None = None  # credits per account per 24 hours (None: no budget)
    budget_source: str = ""  # where the budget is set (or would be): how to raise it

    def require_key(self) -> ApiKey:
        if self.api_key is None:
            raise ConfigError(f"No FreeSora API key is set. {KEY_HELP}")
        return self.api_key


# Where each platform keeps a user's files, by kind: the variable naming the folder, and its
# default under the home folder (macOS keeps both kinds in one place).
_USER_FOLDERS = {
    "config": {"win32": ("APPDATA", "AppData/Roaming"), "posix": ("XDG_CONFIG_HOME", ".config")},
    "data": {
        "win32": ("LOCALAPPDATA", "AppData/Local"),
        "posix": ("XDG_DATA_HOME", ".local/share"),
    },
}


def _user_folder(kind: str, env: Mapping[str, str]) -> Path:
    """The pack's own folder among the user's `kind` ("config" or "data") folders."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "freesora"
    variable, default = _USER_FOLDERS[kind]["win32" if sys.platform == "win32" else "posix"]
    return Path(env.get(variable) or Path.home() / default) / "freesora"


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The per-user config file: outside the pack, so updates never overwrite it."""
    env = os.environ if env is None else env
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG]).expanduser()
    return _user_folder("config", env) / "config.json"


def default_journal_path(env: Mapping[str, str] | None = None) -> Path:
    """The journal of a profile that names none, outside ComfyUI: in the per-user data folder
    (FREESORA_JOURNAL is a profile's journal: `Settings.journal`)."""
    return _user_folder("data", os.environ if env is None else env) / "tasks.jsonl"


def clean_key(raw: str) -> str:
    """Trim what shells add by mistake: spaces, newlines, and quotes from Windows `set K="..."`."""
    return raw.strip().strip("\"'").strip()


def is_loopback_host(host: str | None) -> bool:
    """This machine by name (localhost, *.localhost) or loopback address (127.0.0.0/8, ::1)."""
    name = (host or "").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


def normalize_base_url(raw: str, source: str) -> str:
    """The service's URL: https, or plain http only to this machine (the sandbox, a local
    gateway), because every request carries the key and plain http shows it to the network."""
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{source} must be an http(s) URL such as {DEFAULT_BASE_URL}, got {shown_value(url)}"
        )
    if scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigError(
            f"{source} must use https for {parts.hostname}, got {shown_value(url)}: plain http "
            "would send the API key in clear text. http:// is accepted only for this machine "
            "(localhost, *.localhost or a loopback address such as 127.0.0.1 or [::1], e.g. the "
            "sandbox)."
        )
    return url


def normalize_journal(raw: str, source: str) -> str:
    """A journal location as given, checked: a file path, or a PostgreSQL URL naming a database."""
    location = raw.strip()
    scheme, sep, _ = location.partition("://")
    if sep and scheme.lower() not in DATABASE_SCHEMES:
        raise ConfigError(
            f"{source} must be a file path or a postgresql://user@host:port/dbname URL, "
            f"got a {scheme}:// URL"
        )
    if not is_database_url(location):
        return location
    parts = database_parts(location)
    if parts is None:
        raise ConfigError(
            f"{source} is not a PostgreSQL URL that can be read: a `/` or `@` in its password "
            "must be percent-escaped (%2F, %40)"
        )
    if "dbname" not in parts:
        raise ConfigError(
            f"{source} must name a database, as in postgresql://user@host:5432/freesora "
            f"(got {shown_database(location)})"
        )
    return location


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"The config file {path} cannot be read ({exc.__class__.__name__})"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"The config file {path} must hold a JSON object")
    return data


def _profile_entry(data: Mapping[str, Any], profile: str, path: Path) -> dict[str, Any]:
    profiles = data.get("profiles") or {}
    entry = profiles.get(profile)
    if entry is None and profile == DEFAULT_PROFILE:
        entry = {k: data[k] for k in FLAT_KEYS if k in data}
    if entry is None:
        known = ", ".join(sorted(profiles)) or "none"
        raise UnknownProfileError(
            f"profile {profile!r} is not in {path} (profiles there: {known})", profile=profile
        )
    if not isinstance(entry, dict):
        raise ConfigError(f"profile {profile!r} in {path} must be a JSON object")
    return entry


def load_settings(
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    journal: str | None = None,
) -> Settings:
    """Settings for `profile`; the environment variables win for the default profile, and a
    `journal` given (the command's `--journal`) wins over every other."""
    env = os.environ if env is None else env
    profile = profile or DEFAULT_PROFILE
    path = config_path(env)
    entry = _profile_entry(read_config_file(path), profile, path)
    use_env = profile == DEFAULT_PROFILE
    key, source = None, "not set"
    if use_env and clean_key(env.get(ENV_KEY, "")):
        key, source = clean_key(env[ENV_KEY]), f"environment variable {ENV_KEY}"
    elif clean_key(str(entry.get("api_key") or "")):
        key, source = clean_key(str(entry["api_key"])), f"config file {path} (profile {profile})"
    if use_env and env.get(ENV_BASE_URL, "").strip():
        base_url = normalize_base_url(env[ENV_BASE_URL], ENV_BASE_URL)
    else:
        base_url = normalize_base_url(str(entry.get("base_url") or DEFAULT_BASE_URL), str(path))
    proxy = str(entry["proxy"]).strip() if entry.get("proxy") else None
    limit = max_download_bytes(env)
    if journal is not None:
        journal = normalize_journal(journal, "--journal")
    else:
        journal = _journal(entry, env, use_env, path, profile)
    budget, budget_source = _budget(entry, env, use_env, path, profile)
    return Settings(
        base_url,
        ApiKey(key) if key else None,
        source,
        profile,
        proxy,
        max_download_bytes=limit,
        journal=journal,
        daily_budget=budget,
        budget_source=budget_source,
    )


def max_download_bytes(env: Mapping[str, str] | None = None) -> int:
    """The largest result download, from FREESORA_MAX_DOWNLOAD_BYTES (default 2 GB)."""
    env = os.environ if env is None else env
    raw = env.get(ENV_MAX_DOWNLOAD, "").strip().replace("_", "")
    if not raw:
        return DEFAULT_MAX_DOWNLOAD_BYTES
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(
            f"{ENV_MAX_DOWNLOAD} must be a whole number of bytes >= 1, got {shown_value(raw)}"
        )
    return int(raw)


def whole_number_setting(
    name: str, low: int, high: int, env: Mapping[str, str] | None = None
) -> int | None:
    """The environment variable `name` as a whole number `low` to `high`; None when unset.

    Anything else (a word, a fraction, 0, a negative or huge number) is a one-line ConfigError
    naming the variable and the range: it is read before anything is sent.
    """
    env = os.environ if env is None else env
    raw = env.get(name, "").strip()
    if not raw:
        return None
    digits = raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))
    if not digits or not low <= int(raw) <= high:
        raise ConfigError(f"{name} must be a whole number {low} to {high}, got {shown_value(raw)}")
    return int(raw)


def start_when_queued_setting(env: Mapping[str, str] | None = None) -> bool | None:
    """FREESORA_START_WHEN_QUEUED: True or False for every prompt (it wins over the frontend's
    setting, like the key), None when unset. Another word is a one-line ConfigError."""
    env = os.environ if env is None else env
    raw = env.get(ENV_START_WHEN_QUEUED, "").strip()
    if not raw:
        return None
    value = _SWITCH_WORDS.get(raw.lower())
    if value is None:
        raise ConfigError(
            f"{ENV_START_WHEN_QUEUED} must be one of 1, true, yes, on, 0, false, no, off; "
            f"got {raw[:40]!r}"
        )
    return value


def account_limit_settings(most: int, env: Mapping[str, str] | None = None) -> dict[str, int]:
    """The account's limits the environment sets, by the name of `AccountLimits`' field: at most
    FREESORA_MAX_IN_FLIGHT creates at once, FREESORA_CREATES_PER_10S per window, each a whole
    number 1 to `most` (`whole_number_setting`). A variable that is not set is left out."""
    fields = {ENV_MAX_IN_FLIGHT: "max_in_flight", ENV_CREATES_PER_10S: "creates_per_window"}
    values = {field: whole_number_setting(name, 1, most, env) for name, field in fields.items()}
    return {field: value for field, value in values.items() if value is not None}


def _journal(
    entry: Mapping[str, Any], env: Mapping[str, str], use_env: bool, path: Path, profile: str
) -> str | None:
    """The profile's `journal`: FREESORA_JOURNAL wins for the default profile; another profile
    takes its own `journal`, else FREESORA_JOURNAL. None: the caller's default place."""
    from_env = env.get(ENV_JOURNAL, "").strip()
    if use_env and from_env:
        return normalize_journal(env[ENV_JOURNAL], ENV_JOURNAL)
    if str(entry.get("journal") or "").strip():
        return normalize_journal(str(entry["journal"]), f"{path} (profile {profile}, journal)")
    return normalize_journal(env[ENV_JOURNAL], ENV_JOURNAL) if from_env else None


def _budget(
    entry: Mapping[str, Any], env: Mapping[str, str], use_env: bool, path: Path, profile: str
) -> tuple[float | None, str]:
    """The profile's `daily_budget`; FREESORA_DAILY_BUDGET wins for the default profile."""
    in_file = f'"daily_budget" in profile {profile} of {path}'
    if use_env and env.get(ENV_DAILY_BUDGET, "").strip():
        text = env[ENV_DAILY_BUDGET].strip().replace("_", "")
        try:
            raw: object = float(text)
        except ValueError:
            raw = text
        hint = f"set the environment variable {ENV_DAILY_BUDGET}"
        return credits_value(raw, ENV_DAILY_BUDGET), hint
    if entry.get("daily_budget") is None:
        return None, f"set {in_file}, or {ENV_DAILY_BUDGET} for the default profile"
    hint = f"change {in_file}" + (f" (or set {ENV_DAILY_BUDGET})" if use_env else "")
    return credits_value(entry["daily_budget"], in_file), hint
