"""The one guard of the /freesora/ routes, on a real server: which Host, which body, from where.

A page on `rebind.attacker.example:8188` whose name resolves to 127.0.0.1 sends requests that
look same-origin (Origin equals Host): only the Host header tells it apart from the user's page.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from route_client import raw_request, route_table

from freesora.ledger import FileLedger

KEY = "sk-sandbox-guard-0123456789abcdef"
OTHER_KEY = "sk-sandbox-other-fedcba9876543210"
REBIND = "rebind.attacker.example:8188"
# What a rebinding page's fetch sends: its own name as Host and as Origin, "same-origin".
REBINDING = {"Host": REBIND, "Origin": f"http://{REBIND}", "Sec-Fetch-Site": "same-origin"}
TUNNEL = "my-tunnel.example.com"
SECRET_PROMPT = "a prompt only the owner may read"


def config_bytes(env: dict[str, str]) -> bytes | None:
    path = Path(env["FREESORA_CONFIG"])
    return path.read_bytes() if path.exists() else None


async def stored(client: TestClient[Any, Any], key: str = KEY, **headers: str) -> Any:
    resp = await client.post("/freesora/key", json={"api_key": key}, headers=headers)
    return resp.status, await resp.json()


def every_route(tmp_path: Path) -> list[tuple[str, str]]:
    """The route table as built, so that a route added later is covered without editing this."""
    table = route_table({"FREESORA_CONFIG": str(tmp_path / "c.json")}, tmp_path / "t.jsonl")
    # A path's {variable} filled in, so that the request reaches the route (and its guard).
    found = [
        (route.method, re.sub(r"\{\w+\}", "0123456789ab", route.path))  # type: ignore[attr-defined]
        for route in table
    ]
    assert len(found) >= 6
    return found


async def test_a_rebinding_page_is_refused_on_every_route_and_reads_or_changes_nothing(
    client: TestClient[Any, Any], env: dict[str, str], tmp_path: Path
) -> None:
    assert (await stored(client))[0] == 200
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    await ledger.remember("task-1", model="sora-2-text-to-video", summary=SECRET_PROMPT)
    before = config_bytes(env)
    for method, path in every_route(tmp_path):
        resp = await client.request(method, path, json={"api_key": OTHER_KEY}, headers=REBINDING)
        text = await resp.text()
        assert resp.status == 403, (method, path, text)
        assert resp.content_type == "application/json"
        assert "FREESORA_ALLOWED_HOSTS=rebind.attacker.example" in json.loads(text)["error"]
        assert SECRET_PROMPT not in text
        assert "task-1" not in text
        assert config_bytes(env) == before, (method, path)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:8188",
        "localhost:8188",
        "LOCALHOST",
        "comfy.localhost:8188",
        "[::1]:8188",
        "192.168.1.20:8188",
        "10.0.0.5",
        "[fd00::5]:8188",
    ],
)
async def test_loopback_names_and_ip_addresses_are_served(
    client: TestClient[Any, Any], host: str
) -> None:
    resp = await client.get("/freesora/prices", headers={"Host": host, "Origin": f"http://{host}"})
    assert resp.status == 200, await resp.text()


@pytest.mark.parametrize(
    "host",
    [
        "localhost.attacker.example",
        "127.0.0.1.nip.io",
        "attacker.example@127.0.0.1",
        "127.0.0.1:8188/x",
        "0x7f.1",
        "",
    ],
)
async def test_other_or_malformed_host_names_are_refused(
    client: TestClient[Any, Any], host: str
) -> None:
    head = f"GET /freesora/prices HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    answer = await raw_request(client, head.encode())
    status_line, _, body = answer.partition(b"\r\n\r\n")
    assert status_line.split()[1] in (b"400", b"403"), answer
    assert b"FREESORA_ALLOWED_HOSTS" in body


async def test_a_request_without_a_host_header_is_refused(client: TestClient[Any, Any]) -> None:
    answer = await raw_request(client, b"GET /freesora/tasks HTTP/1.0\r\n\r\n")
    assert answer.split()[1] == b"400", answer
    assert b"Host" in answer.partition(b"\r\n\r\n")[2]


@pytest.fixture
def tunnel_env(env: dict[str, str]) -> dict[str, str]:
    env["FREESORA_ALLOWED_HOSTS"] = f" {TUNNEL}, *.trycloudflare.com ,"
    return env


@pytest.mark.parametrize(
    ("host", "status"),
    [
        (TUNNEL, 200),
        ("MY-TUNNEL.example.com.:443", 200),
        ("quiet-fox.trycloudflare.com", 200),
        ("trycloudflare.com", 403),
        ("other.example.com", 403),
    ],
)
async def test_names_listed_in_freesora_allowed_hosts_are_served(
    client: TestClient[Any, Any], tunnel_env: dict[str, str], host: str, status: int
) -> None:
    resp = await client.get("/freesora/tasks", headers={"Host": host})
    assert resp.status == status, await resp.text()


async def test_names_listed_in_the_config_file_are_served(
    client: TestClient[Any, Any], env: dict[str, str]
) -> None:
    path = Path(env["FREESORA_CONFIG"])
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"allowed_hosts": ["box.tail1234.ts.net"]}), encoding="utf-8")
    assert (await client.get("/freesora/tasks", headers={"Host": "box.tail1234.ts.net"})).ok
    refused = await client.get("/freesora/tasks", headers={"Host": "box2.tail1234.ts.net"})
    assert refused.status == 403


async def test_a_malformed_allowed_hosts_entry_is_reported_naming_the_variable(
    client: TestClient[Any, Any], env: dict[str, str]
) -> None:
    env["FREESORA_ALLOWED_HOSTS"] = "https://x.example.com/"
    resp = await client.get("/freesora/tasks", headers={"Host": "x.example.com"})
    assert resp.status == 500
    error = (await resp.json())["error"]
    assert "FREESORA_ALLOWED_HOSTS" in error
    assert "host name" in error
    assert (await client.get("/freesora/tasks")).status == 200  # loopback needs no list


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
    ],
)
async def test_a_post_that_is_not_json_stores_nothing(
    client: TestClient[Any, Any], env: dict[str, str], content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps({"api_key": KEY}).encode()
    resp = await client.post("/freesora/key", data=body, headers=headers)
    assert resp.status == 415, await resp.text()
    assert "application/json" in (await resp.json())["error"]
    assert config_bytes(env) is None


async def test_a_json_post_with_a_charset_is_served(
    client: TestClient[Any, Any], env: dict[str, str]
) -> None:
    body = json.dumps({"api_key": KEY}).encode()
    headers = {"Content-Type": "application/json; charset=utf-8"}
    resp = await client.post("/freesora/key", data=body, headers=headers)
    assert resp.status == 200, await resp.text()


async def test_an_oversized_chunked_body_is_refused_without_trusting_content_length(
    client: TestClient[Any, Any], env: dict[str, str]
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"api_key": "' + KEY.encode() + b'", "pad": "'
        for _ in range(64):
            yield b"x" * 1024
        yield b'"}'

    headers = {"Content-Type": "application/json"}
    resp = await client.post("/freesora/key", data=chunks(), headers=headers)
    assert resp.request_info.headers.get("Transfer-Encoding") == "chunked"
    assert resp.status == 413, await resp.text()
    assert "16384 bytes" in (await resp.json())["error"]
    assert config_bytes(env) is None


async def test_a_declared_oversized_body_is_refused_before_it_is_read(
    client: TestClient[Any, Any], env: dict[str, str]
) -> None:
    body = b'{"api_key": "' + KEY.encode() + b'", "pad": "' + b"x" * 40_000 + b'"}'
    resp = await client.post(
        "/freesora/key", data=body, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 413
    assert config_bytes(env) is None


async def test_a_remote_user_may_store_the_first_key_but_not_replace_or_remove_it(
    client: TestClient[Any, Any], tunnel_env: dict[str, str]
) -> None:
    status, body = await stored(client, Host=TUNNEL)
    assert status == 200
    assert body["stored"] is True
    assert "file" not in body  # no config path to a remote peer
    before = config_bytes(tunnel_env)
    status, body = await stored(client, OTHER_KEY, Host=TUNNEL)
    assert status == 403
    assert "from the machine itself" in body["error"]
    removed = await client.delete("/freesora/key", headers={"Host": TUNNEL})
    assert removed.status == 403
    assert "from the machine itself" in (await removed.json())["error"]
    assert config_bytes(tunnel_env) == before
    status, body = await stored(client, OTHER_KEY)  # the machine itself may replace it
    assert status == 200
    assert body["file"] == tunnel_env["FREESORA_CONFIG"]
    assert OTHER_KEY.encode() in (config_bytes(tunnel_env) or b"")


@pytest.mark.parametrize(
    "forwarded",
    [
        {"X-Forwarded-For": "203.0.113.9"},
        {"Forwarded": "for=203.0.113.9"},
        {"X-Real-IP": "1.2.3.4"},
        # A reverse proxy that rewrites Host to this machine but keeps saying whom it forwards.
        {"Host": "127.0.0.1", "X-Forwarded-For": "203.0.113.9"},
        {"Host": "localhost:8188", "Forwarded": "for=203.0.113.9;host=comfy.example.com"},
    ],
)
async def test_a_request_a_proxy_forwarded_is_not_from_the_machine_itself(
    client: TestClient[Any, Any], env: dict[str, str], forwarded: dict[str, str]
) -> None:
    assert (await stored(client))[0] == 200
    before = config_bytes(env)
    status, _body = await stored(client, OTHER_KEY, **forwarded)
    assert status == 403
    assert (await client.delete("/freesora/key", headers=forwarded)).status == 403
    assert config_bytes(env) == before


async def test_the_key_status_names_no_other_profile_and_no_path(
    client: TestClient[Any, Any], env: dict[str, str]
) -> None:
    path = Path(env["FREESORA_CONFIG"])
    path.parent.mkdir(parents=True)
    profiles = {"client-acme": {"api_key": KEY}, "client-zenith": {}}
    path.write_text(json.dumps({"profiles": profiles}), encoding="utf-8")
    resp = await client.get("/freesora/key?profile=work")
    text = await resp.text()
    assert resp.status == 200
    assert "client-acme" not in text
    assert "client-zenith" not in text
    assert str(path) not in text
    assert "cfg" not in text
    answer = json.loads(text)
    assert (answer["set"], answer["source"], answer["profile"]) == (False, None, "work")
    assert "not in the FreeSora config file" in answer["problem"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_broken_config_file_is_reported_without_its_path_to_a_remote_peer(
    client: TestClient[Any, Any], tunnel_env: dict[str, str]
) -> None:
    path = Path(tunnel_env["FREESORA_CONFIG"])
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    remote = await (await client.get("/freesora/key", headers={"Host": TUNNEL})).json()
    assert "cannot be read" in remote["problem"]
    assert str(path) not in json.dumps(remote)
    local = await (await client.get("/freesora/key")).json()
    assert str(path) in local["problem"]  # the machine's own user is told which file


async def test_a_profile_given_as_markup_is_refused_without_being_repeated(
    client: TestClient[Any, Any],
) -> None:
    resp = await client.get("/freesora/key?profile=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    text = await resp.text()
    assert resp.status == 400
    assert "<img" not in text
    assert "onerror" not in text


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "203.0.113.9"},  # through a proxy: its peer is loopback
        {"Host": "my-tunnel.example.com"},  # a tunnel's agent runs on this machine
    ],
)
async def test_the_price_table_names_the_config_file_only_to_the_machine_itself(
    client: TestClient[Any, Any], tunnel_env: dict[str, str], headers: dict[str, str]
) -> None:
    local = await (await client.get("/freesora/prices")).json()
    assert local["config_file"] == tunnel_env["FREESORA_CONFIG"]
    resp = await client.get("/freesora/prices", headers=headers)
    assert resp.status == 200
    answer = await resp.json()
    assert answer["config_file"] is None
    assert tunnel_env["FREESORA_CONFIG"] not in json.dumps(answer)
