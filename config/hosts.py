"""Which Host names the pack's routes answer, and which peer is this machine: pure rules, no HTTP.

A page of another site can make the browser send requests to ComfyUI under the site's own name
(DNS rebinding: the name is made to resolve to 127.0.0.1, and Origin then equals Host). Such a
name must not be answered. A loopback name or an IP literal cannot be rebound; any other name
is answered only when the user lists it (FREESORA_ALLOWED_HOSTS, or `allowed_hosts` in the
config file), e.g. a tunnel's.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from typing import Literal

from ..errors import ConfigError, shown_value
from .settings import config_path, read_config_file

ENV_ALLOWED_HOSTS = "FREESORA_ALLOWED_HOSTS"
CONFIG_ALLOWED_HOSTS = "allowed_hosts"
HostKind = Literal["loopback", "address"]

# A Host header: a bracketed IPv6 literal or a plain name/IPv4, then an optional port. Nothing
# else (no userinfo, path or zone id), so the name checked is the name the browser used.
_HOST_HEADER = re.compile(
    r"(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<name>[A-Za-z0-9_.-]+))(?::(?P<port>[0-9]{1,5}))?"
)
_LISTED_NAME = re.compile(r"(?:\*\.)?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_ENTRY_HELP = "a host name such as my-tunnel.example.com or *.example.com (no scheme, port or path)"


def host_name(header: str | None) -> str | None:
    """The lowercased name (or IP literal) a Host header names, or None when it is malformed."""
    match = _HOST_HEADER.fullmatch((header or "").strip())
    if match is None or (match["port"] and int(match["port"]) > 65535):
        return None
    name = (match["v6"] or match["name"]).lower().rstrip(".")
    return name or None


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def unlisted_kind(name: str) -> HostKind | None:
    """'loopback' or 'address' for a name no page can rebind, None for one that needs listing.

    Browsers resolve `localhost` and `*.localhost` to loopback themselves (never through DNS);
    an IP literal is looked up by nobody.
    """
    if name == "localhost" or name.endswith(".localhost"):
        return "loopback"
    address = _address(name)
    if address is None:
        return None
    return "loopback" if address.is_loopback else "address"


def is_listed(name: str, listed: Iterable[str]) -> bool:
    """`name` equals an entry, or lies below a `*.example.com` entry (not example.com itself)."""
    for entry in listed:
        if entry.startswith("*.") and name.endswith(entry[1:]) and len(name) > len(entry) - 1:
            return True
        if name == entry:
            return True
    return False


def _entries(raw: Iterable[object], source: str) -> list[str]:
    found = []
    for item in raw:
        if isinstance(item, str) and not item.strip():
            continue  # "a, ,b" or a trailing comma
        entry = item.strip().lower().rstrip(".") if isinstance(item, str) else ""
        if not _LISTED_NAME.fullmatch(entry):
            raise ConfigError(
                f"{source}: each entry must be {_ENTRY_HELP}, got {shown_value(item)}"
            )
        found.append(entry)
    return found


def _env_entries(env: Mapping[str, str]) -> list[str]:
    return _entries(env.get(ENV_ALLOWED_HOSTS, "").split(","), ENV_ALLOWED_HOSTS)


def _config_entries(env: Mapping[str, str]) -> list[str]:
    path = config_path(env)
    listed = read_config_file(path).get(CONFIG_ALLOWED_HOSTS, [])
    source = f"{CONFIG_ALLOWED_HOSTS} in {path}"
    if not isinstance(listed, list):
        raise ConfigError(f'{source} must be a list of host names, as in ["my-tunnel.example.com"]')
    return _entries(listed, source)


def allowed_hosts(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The names the user lets through: FREESORA_ALLOWED_HOSTS (comma separated), then the
    config file's `allowed_hosts` (a list). Read on every call, like the key, so an edit counts
    without a restart."""
    env = os.environ if env is None else env
    return tuple(dict.fromkeys([*_env_entries(env), *_config_entries(env)]))


def host_allowed(name: str, env: Mapping[str, str] | None = None) -> bool:
    """`name` needs no listing or is listed; the config file is read only when the variable
    does not list it (a broken config file then raises ConfigError)."""
    env = os.environ if env is None else env
    if unlisted_kind(name) is not None or is_listed(name, _env_entries(env)):
        return True
    return is_listed(name, _config_entries(env))


def peer_is_this_machine(peer: str | None, own: str | None) -> bool:
    """The connection comes from this machine: a loopback peer, or a peer with the very address
    it connected to (the machine reaching itself through its own LAN address)."""
    address = _address(peer or "")
    if address is None:
        return False
    return address.is_loopback or address == _address(own or "")
