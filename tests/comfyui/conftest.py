"""Fixtures for the tests inside a real ComfyUI; they skip unless FREESORA_COMFYUI_DIR is set.

Owns the session's temp base dir, sandbox thread and ComfyUI process.
Must not write into the repository or read the user's FreeSora config.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from comfy_graphs import CANARY_KEY, HERE, OLD_CORE_TASK, PACK_ENTRY, REPO_ROOT, TASK_SECONDS
from comfy_hosts import ENV_DIR, SKIP_REASON, Host, HostError
from comfy_server import ComfyServer, SandboxThread, start_with_pack


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this folder's tests (without a ComfyUI, skip those that need one); canary last."""
    ours = [item for item in items if HERE in Path(item.path).resolve().parents]
    skip = None if os.environ.get(ENV_DIR) else pytest.mark.skip(reason=SKIP_REASON)
    for item in ours:
        needs_comfy = "comfy" in getattr(item, "fixturenames", ())
        if needs_comfy:
            item.add_marker(pytest.mark.comfyui)
        if skip is not None and needs_comfy:
            item.add_marker(skip)
    last = [item for item in ours if item.name.startswith("test_the_api_key_")]
    items[:] = [item for item in items if item not in last] + last


@pytest.fixture(scope="session")
def host() -> Host:
    try:
        found = Host.from_env()
    except HostError as exc:
        pytest.fail(str(exc))
    if found is None:
        pytest.skip(SKIP_REASON)
    return found


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxThread]:
    running = SandboxThread(task_seconds=TASK_SECONDS, default_credits=100_000).start()
    yield running
    running.stop()


def _seed_old_journal(base: Path) -> None:
    """A journal where cores up to 0.3.64 keep it: newer cores must move it, losing nothing."""
    old = base / "user" / "freesora"
    old.mkdir(parents=True)
    event = {"event": "created", "task_id": OLD_CORE_TASK, "model": "sora-2-text-to-video"}
    event.update(fingerprint="seeded", seed=1, time=1.0)
    finished = {"event": "finished", "task_id": OLD_CORE_TASK, "status": "succeeded", "time": 2.0}
    lines = [json.dumps(event), json.dumps(finished)]
    (old / "tasks.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def comfy(
    tmp_path_factory: pytest.TempPathFactory, host: Host, sandbox: SandboxThread
) -> Iterator[ComfyServer]:
    base = tmp_path_factory.mktemp("comfy-base")
    _seed_old_journal(base)
    try:
        server = start_with_pack(host, base, sandbox.base_url, CANARY_KEY, PACK_ENTRY, REPO_ROOT)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    """A fault one test queued but never triggered must not hit the next test."""
    yield
    if "sandbox" in request.fixturenames:
        sandbox: SandboxThread = request.getfixturevalue("sandbox")
        sandbox.call(lambda s: s.faults.clear())
