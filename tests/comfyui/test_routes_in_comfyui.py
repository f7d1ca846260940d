"""The pack's routes inside a real ComfyUI: a rebinding page is refused, the key file unchanged;
a caller elsewhere is told no path and no other profile's name.

The page of `rebind.attacker.example:8188` (its name resolving to 127.0.0.1) sends its own name
as Host and Origin, which ComfyUI's own origin check lets through. A caller elsewhere comes
through a listed tunnel name, or a proxy that says whom it forwards. Requests go over plain
sockets to the ComfyUI the session started, with the Host header given by hand.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from comfy_host.graphs import load_workflow, run_prompt
from comfy_host.server import ComfyServer

pytestmark = pytest.mark.comfyui

REBIND = "rebind.attacker.example:8188"
REBINDING = {"Host": REBIND, "Origin": f"http://{REBIND}", "Sec-Fetch-Site": "same-origin"}
TUNNEL = "my-tunnel.example.com"
PROXIED = {"Host": "127.0.0.1", "X-Forwarded-For": "203.0.113.9"}  # a proxy rewriting Host
OTHERS = ("client-acme", "client-zenith")  # profiles no caller elsewhere may learn of
PROFILE = "rebind-check"
KEY = "sk-sandbox-rebind-owner-0123456789"
ATTACKER_KEY = "sk-sandbox-rebind-attacker-9876543210"
ROUTES = [
    ("POST", f"/freesora/key?profile={PROFILE}", {"api_key": ATTACKER_KEY, "profile": PROFILE}),
    ("DELETE", f"/freesora/key?profile={PROFILE}", None),
    ("GET", "/freesora/tasks", None),
    ("GET", f"/freesora/key?profile={PROFILE}", None),
    ("POST", "/freesora/key/check", {"profile": PROFILE}),
    ("GET", "/freesora/prices", None),
]


def send(
    comfy: ComfyServer,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> tuple[int, str]:
    """One request with exactly these headers (http.client sends the Host given, if any)."""
    parts = urlsplit(comfy.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": content_type, **(headers or {})}
    try:
        conn.request(method, path, body=data, headers=sent)
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def config_file(comfy: ComfyServer) -> Path:
    return comfy.base_dir / "freesora-config.json"  # FREESORA_CONFIG of the session's ComfyUI


@pytest.fixture
def config_restored(comfy: ComfyServer) -> Iterator[Path]:
    """The session's config file, put back as it was after the test (other tests read it)."""
    path = config_file(comfy)
    before = path.read_bytes() if path.exists() else None
    try:
        yield path
    finally:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)


def test_a_rebinding_page_is_refused_by_the_real_server_and_the_key_file_is_unchanged(
    comfy: ComfyServer, config_restored: Path
) -> None:
    status, text = send(comfy, "POST", "/freesora/key", {"api_key": KEY, "profile": PROFILE})
    assert status == 200, text
    before = config_restored.read_bytes()
    for prefix in ("", "/api"):
        for method, path, body in ROUTES:
            status, text = send(comfy, method, prefix + path, body, REBINDING)
            assert status == 403, (method, prefix + path, status, text)
            assert "FREESORA_ALLOWED_HOSTS=rebind.attacker.example" in json.loads(text)["error"]
            assert config_restored.read_bytes() == before, (method, prefix + path)
    data = json.loads(before)
    assert data["profiles"][PROFILE]["api_key"] == KEY
    assert ATTACKER_KEY not in config_restored.read_text()


def test_a_text_plain_post_is_refused_by_the_real_server(
    comfy: ComfyServer, config_restored: Path
) -> None:
    before = config_restored.read_bytes() if config_restored.exists() else None
    body = {"api_key": ATTACKER_KEY, "profile": PROFILE}
    status, text = send(comfy, "POST", "/api/freesora/key", body, content_type="text/plain")
    assert status == 415, text
    assert "application/json" in json.loads(text)["error"]
    after = config_restored.read_bytes() if config_restored.exists() else None
    assert after == before


def test_a_host_listed_in_the_config_file_is_served_but_cannot_replace_the_key(
    comfy: ComfyServer, config_restored: Path
) -> None:
    data = json.loads(config_restored.read_text()) if config_restored.exists() else {}
    data["allowed_hosts"] = [TUNNEL]
    data.setdefault("profiles", {}).pop(PROFILE, None)
    config_restored.write_text(json.dumps(data), encoding="utf-8")
    tunnel = {"Host": TUNNEL}
    assert send(comfy, "GET", "/api/freesora/tasks", headers=tunnel)[0] == 200
    first = {"api_key": KEY, "profile": PROFILE}
    status, text = send(comfy, "POST", "/api/freesora/key", first, tunnel)
    assert status == 200, text  # a remote user may store the first key
    assert str(config_restored) not in text
    before = config_restored.read_bytes()
    again = {"api_key": ATTACKER_KEY, "profile": PROFILE}
    status, text = send(comfy, "POST", "/api/freesora/key", again, tunnel)
    assert status == 403, text
    assert "from the machine itself" in json.loads(text)["error"]
    status, _ = send(comfy, "DELETE", f"/api/freesora/key?profile={PROFILE}", headers=tunnel)
    assert status == 403
    assert config_restored.read_bytes() == before


def assert_nothing_private(comfy: ComfyServer, text: str) -> None:
    assert str(comfy.base_dir) not in text
    assert comfy.base_dir.name not in text
    for name in OTHERS:
        assert name not in text


def with_other_profiles(path: Path) -> None:
    """The session's config with two profiles of other clients and the tunnel's name listed."""
    data = json.loads(path.read_text()) if path.exists() else {}
    data["allowed_hosts"] = [TUNNEL]
    data["profiles"] = {name: {"api_key": KEY} for name in OTHERS}
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_caller_elsewhere_is_told_neither_the_profiles_there_nor_the_config_files_path(
    comfy: ComfyServer, config_restored: Path
) -> None:
    with_other_profiles(config_restored)
    asked = {"profile": "work"}
    for headers in ({"Host": TUNNEL}, PROXIED):
        status, text = send(comfy, "POST", "/api/freesora/key/check", asked, headers)
        assert status == 200, text
        assert_nothing_private(comfy, text)
        assert "profile 'work' is not in the FreeSora config file" in json.loads(text)["message"]
    status, text = send(comfy, "POST", "/api/freesora/key/check", asked)
    assert all(name in text for name in OTHERS)  # the machine itself is told them
    config_restored.write_text("{not json", encoding="utf-8")
    status, text = send(comfy, "GET", "/api/freesora/prices", headers=PROXIED)
    assert status == 200, text
    assert_nothing_private(comfy, text)
    assert "config file cannot be read" in json.loads(text)["problem"]
    status, text = send(comfy, "GET", "/api/freesora/tasks", headers=PROXIED)
    assert status == 503, text  # the ledger's settings cannot be read: said, without the path
    assert_nothing_private(comfy, text)
    assert str(config_restored) in send(comfy, "GET", "/api/freesora/prices")[1]


def test_the_inbox_shows_a_caller_elsewhere_a_videos_file_name_not_its_folder(
    comfy: ComfyServer, config_restored: Path
) -> None:
    entry = run_prompt(comfy, load_workflow("text_to_video.json"))
    assert entry["status"]["status_str"] == "success", entry["status"]
    with_other_profiles(config_restored)
    status, text = send(comfy, "GET", "/api/freesora/tasks?limit=200")
    assert status == 200, text
    here = {row["task_id"]: row["file"] for row in json.loads(text)["tasks"] if row["file"]}
    assert here, "the run saved no video the journal lists"
    assert all(str(comfy.base_dir) in file for file in here.values())
    for headers in ({"Host": TUNNEL}, PROXIED):
        status, text = send(comfy, "GET", "/api/freesora/tasks?limit=200", headers=headers)
        assert status == 200, text
        assert_nothing_private(comfy, text)
        rows = json.loads(text)["tasks"]
        elsewhere = {row["task_id"]: row["file"] for row in rows if row["file"]}
        assert elsewhere == {task: Path(file).name for task, file in here.items()}


def test_an_unknown_profile_is_refused_at_queue_time_without_the_profiles_there_or_the_path(
    comfy: ComfyServer, config_restored: Path
) -> None:
    with_other_profiles(config_restored)
    graph = load_workflow("text_to_video.json")
    graph["1"]["inputs"]["profile"] = "work"
    graph["2"]["inputs"]["profile"] = "work"
    before = comfy.log_text()
    status, answer = comfy.queue(graph)
    assert status == 400, answer
    text = json.dumps(answer)
    assert_nothing_private(comfy, text)
    assert str(config_restored) not in text
    for node in ("1", "2"):
        details = json.dumps(answer["node_errors"][node])
        assert "profile 'work' is not in the FreeSora config file" in details
    logged = comfy.log_text()[len(before) :]  # ComfyUI serves its log to callers elsewhere too
    assert "profile 'work'" in logged
    assert_nothing_private(comfy, logged)
