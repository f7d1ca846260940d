"""DNS rebinding played for real: Chromium resolves an attacker's name to this ComfyUI.

Chromium's `--host-resolver-rules` maps `rebind.attacker.example` to 127.0.0.1, as a rebinding
DNS answer would; the page then sits at that origin and calls the pack's routes same-origin.
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from browser_host import launch_chromium
from web_host import WebHost

REBIND = "rebind.attacker.example"
OWNER_KEY = "sk-sandbox-owner-rebind-0123456789"
ATTACKER_KEY = "sk-sandbox-attacker-rebind-98765"
CALLS = """async (key) => {
  const json = { "Content-Type": "application/json" };
  const text = { "Content-Type": "text/plain" };
  const body = JSON.stringify({ api_key: key });
  const calls = [
    ["/api/freesora/key", { method: "POST", headers: json, body }],
    ["/api/freesora/key", { method: "POST", headers: text, body }],
    ["/api/freesora/key", { method: "DELETE", headers: json }],
    ["/api/freesora/tasks?limit=5", {}],
    ["/api/freesora/key", {}],
  ];
  const answers = [];
  for (const [path, init] of calls) {
    const resp = await fetch(path, init);
    answers.push([init.method ?? "GET", path, resp.status, await resp.text()]);
  }
  return answers;
}"""


@pytest.fixture
def rebinding_browser(playwright: Any) -> Iterator[Any]:
    browser = launch_chromium(playwright, f"--host-resolver-rules=MAP {REBIND} 127.0.0.1")
    try:
        yield browser
    finally:
        browser.close()


def test_a_page_on_a_rebound_name_can_neither_change_the_key_nor_read_the_tasks(
    rebinding_browser: Any, web_host: WebHost
) -> None:
    host = web_host
    status, _ = host.server.request("POST", "/freesora/key", {"api_key": OWNER_KEY})
    assert status == 200
    before = host.config_file.read_bytes()
    port = urlsplit(host.server.url).port
    page = rebinding_browser.new_page()
    try:
        page.goto(f"http://{REBIND}:{port}/api/freesora/prices")
        assert page.evaluate("() => location.hostname") == REBIND
        answers = page.evaluate(CALLS, ATTACKER_KEY)
    finally:
        page.close()
    for method, path, status, text in answers:
        assert status in (403, 415), (method, path, status, text)
        assert "FREESORA_ALLOWED_HOSTS" in json.loads(text)["error"], (method, path, text)
        assert '"tasks"' not in text
    assert [a[2] for a in answers] == [403] * len(answers)  # the Host check comes first
    assert host.config_file.read_bytes() == before
    assert ATTACKER_KEY not in host.config_file.read_text()
    host.server.request("DELETE", "/freesora/key")
