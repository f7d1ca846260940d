"""Which Host names and peers the routes trust: the pure rules behind the route guard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freesora.config import allowed_hosts, host_name, is_listed, peer_is_this_machine, unlisted_kind
from freesora.errors import ConfigError


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8188", "127.0.0.1"),
        ("LocalHost.:8188", "localhost"),
        ("[::1]:8188", "::1"),
        ("Tunnel.Example.com", "tunnel.example.com"),
        ("a@127.0.0.1", None),
        ("127.0.0.1:8188/x", None),
        ("host:99999", None),
        ("[fe80::1%25eth0]:8188", None),
        ("", None),
        (None, None),
    ],
)
def test_a_host_header_gives_its_name_or_nothing_when_malformed(
    header: str | None, name: str | None
) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("localhost", "loopback"),
        ("comfy.localhost", "loopback"),
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("192.168.1.20", "address"),
        ("fd00::5", "address"),
        ("localhost.attacker.example", None),
        ("127.0.0.1.nip.io", None),
        ("0x7f.1", None),
    ],
)
def test_loopback_names_and_ip_literals_need_no_listing(name: str, kind: str | None) -> None:
    assert unlisted_kind(name) == kind


def test_listed_names_match_exactly_or_below_a_wildcard() -> None:
    listed = ("tunnel.example.com", "*.trycloudflare.com")
    assert is_listed("tunnel.example.com", listed)
    assert is_listed("quiet-fox.trycloudflare.com", listed)
    assert is_listed("a.b.trycloudflare.com", listed)
    assert not is_listed("trycloudflare.com", listed)
    assert not is_listed("eviltrycloudflare.com", listed)
    assert not is_listed("sub.tunnel.example.com", listed)


def test_allowed_hosts_come_from_the_variable_and_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"allowed_hosts": ["Box.ts.net."]}), encoding="utf-8")
    env = {"FREESORA_CONFIG": str(path), "FREESORA_ALLOWED_HOSTS": " A.example , ,*.b.example"}
    assert allowed_hosts(env) == ("a.example", "*.b.example", "box.ts.net")
    assert allowed_hosts({"FREESORA_CONFIG": str(tmp_path / "absent.json")}) == ()


@pytest.mark.parametrize(
    "entry", ["https://x.example.com", "x.example.com:8188", "x.example.com/", "*", "a b"]
)
def test_an_allowed_hosts_entry_that_is_not_a_host_name_is_refused_naming_its_source(
    tmp_path: Path, entry: str
) -> None:
    env = {"FREESORA_CONFIG": str(tmp_path / "c.json"), "FREESORA_ALLOWED_HOSTS": entry}
    with pytest.raises(ConfigError, match="FREESORA_ALLOWED_HOSTS") as caught:
        allowed_hosts(env)
    assert "host name" in str(caught.value)
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"allowed_hosts": [entry]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="allowed_hosts"):
        allowed_hosts({"FREESORA_CONFIG": str(path)})


def test_the_config_files_allowed_hosts_must_be_a_list_of_names(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"allowed_hosts": "box.ts.net"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="list"):
        allowed_hosts({"FREESORA_CONFIG": str(path)})


@pytest.mark.parametrize(
    ("peer", "own", "local"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "0.0.0.0", True),
        ("::1", "::", True),
        ("::ffff:127.0.0.1", "::", True),
        ("192.168.1.5", "192.168.1.5", True),  # this machine, through its own LAN address
        ("192.168.1.7", "192.168.1.5", False),
        ("10.0.0.2", "0.0.0.0", False),
        ("fd00::7", "fd00::5", False),
        (None, "127.0.0.1", False),
        ("not an address", "127.0.0.1", False),
    ],
)
def test_only_a_loopback_peer_or_this_machines_own_address_is_this_machine(
    peer: str | None, own: str | None, local: bool
) -> None:
    assert peer_is_this_machine(peer, own) is local
