"""The API key never leaves the server side: searched for everywhere after the other runs.

conftest runs the search last, so every file, log line and history entry the session made is
searched; it also runs one workflow itself, so it is meaningful alone. Before it, a service that
repeats the key in its refusals: the node's error, the log, the journal and the key check's
answer must not repeat it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from comfy_host.graphs import CANARY_KEY, load_workflow, messages, run_prompt, text_to_preview
from comfy_host.server import ComfyServer, SandboxThread

from freesora.sandbox import Sandbox

pytestmark = pytest.mark.comfyui

# The distinctive tail finds the key even when only part of it is shown.
NEEDLES = (CANARY_KEY.encode(), CANARY_KEY.removeprefix("sk-sandbox-").encode())
# What the sandbox's `echo_key` fault says of it, cut short or masked.
ECHOED = (CANARY_KEY[:12].encode(), (CANARY_KEY[:5] + "*" * 16 + CANARY_KEY[-4:]).encode())


def _files_under(base: Path) -> list[Path]:
    """Every regular file below `base`, not following the symlink to the pack (the repo)."""
    found = []
    for folder, _, names in os.walk(base, followlinks=False):
        found += [Path(folder) / name for name in names if not (Path(folder) / name).is_symlink()]
    return found


def _hits(data: bytes) -> list[bytes]:
    return [needle for needle in NEEDLES + ECHOED if needle in data]


@pytest.mark.parametrize("form", ["full", "prefix", "masked"])
def test_a_refusal_that_repeats_the_key_reaches_the_node_log_journal_and_route_without_it(
    comfy: ComfyServer, sandbox: SandboxThread, form: str
) -> None:
    sandbox.call(lambda s: s.faults.add("create", "echo_key", form=form))
    entry = run_prompt(comfy, text_to_preview())
    [error] = messages(entry, "execution_error")
    assert "Incorrect API key provided: [API key removed]" in error["exception_message"]
    assert not _hits(json.dumps(entry).encode()), "the key is in the node's error"

    sandbox.call(lambda s: s.faults.add("status", "echo_key", form=form, times=2))
    status, answer = comfy.request("POST", "/freesora/key/check", {})
    assert status == 200
    assert answer["ok"] is False
    assert "[API key removed]" in answer["message"]
    assert not _hits(json.dumps(answer).encode()), "the key is in the key check's answer"

    assert not _hits(comfy.log_text().encode()), "the key is in the ComfyUI log"
    journals = list(comfy.base_dir.glob("user/**/tasks.jsonl"))
    assert journals, "no journal to search"
    assert not [path for path in journals if _hits(path.read_bytes())], "the key is journaled"


def test_the_api_key_never_appears_in_files_logs_history_or_downloads(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    entry = run_prompt(comfy, load_workflow("text_to_video.json"))
    assert entry["status"]["status_str"] == "success", entry["status"]

    files = _files_under(comfy.base_dir)
    for expected in ("comfyui.log", ".mp4"):
        assert any(path.name.endswith(expected) for path in files), f"no {expected} to search"
    kept = comfy.base_dir / "output" / "freesora"
    assert any(kept in path.parents for path in files), "no download searched"
    leaked_files = [str(path) for path in files if _hits(path.read_bytes())]
    assert not leaked_files, "the key is in these files"
    assert not _hits(comfy.log_text().encode()), "the key is in the ComfyUI log"

    status, history = comfy.request("GET", "/history")
    assert status == 200
    assert history, "no /history entries to search"
    leaked_history = [pid for pid, item in history.items() if _hits(json.dumps(item).encode())]
    assert not leaked_history, "the key is in these /history entries"

    def requests_seen(s: Sandbox) -> tuple[list[bytes], list[bool], list[bool], bool]:
        received = s.received
        calls = received.creates + received.status_calls
        seen = [r.raw + json.dumps(r.headers).encode() for r in calls + received.downloads]
        in_use = CANARY_KEY in s.state.ledger.balances
        downloads_auth = [r.had_authorization for r in received.downloads]
        return seen, [r.had_authorization for r in calls], downloads_auth, in_use

    seen, calls_auth, downloads_auth, key_in_use = sandbox.call(requests_seen)
    assert key_in_use, "the sandbox never saw the canary key: the search would prove nothing"
    assert all(calls_auth), "every create and status call carries the key"
    assert downloads_auth, "no download to check"
    assert not any(downloads_auth), "a video download carried an Authorization header"
    assert not [raw for raw in seen if _hits(raw)], "the key is in a request body or header"
