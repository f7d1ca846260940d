"""Fixtures for the tests inside a real ComfyUI; they skip unless FREESORA_COMFYUI_DIR is set.

Owns the session's temp base dir, sandbox thread and ComfyUI process.
Must not write into the repository or read the user's FreeSora config.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from comfy_host import hosts
from comfy_host.graphs import CANARY_KEY, OLD_CORE_TASK, TASK_SECONDS
from comfy_host.hosts import Host
from comfy_host.server import ComfyServer, SandboxThread, serving_pack

host = hosts.host  # the session's ComfyUI, a fixture shared with tests/browser

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this folder's tests that need a ComfyUI (tests/conftest.py skips them without
    one); canary last."""
    ours = [item for item in items if HERE in Path(item.path).resolve().parents]
    for item in ours:
        # Only the command-line tests of test_hosts.py run without a ComfyUI; a test elsewhere
        # may start its own ComfyUI (e.g. to kill and restart it) without the `comfy` fixture.
        fixtures = set(getattr(item, "fixturenames", ()))
        needs_comfy = bool(fixtures & {"comfy", "host"}) or Path(item.path).name != "test_hosts.py"
        if needs_comfy:
            item.add_marker(pytest.mark.comfyui)
    last = [item for item in ours if item.name.startswith("test_the_api_key_")]
    items[:] = [item for item in items if item not in last] + last


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
    with serving_pack(host, base, sandbox.base_url, CANARY_KEY) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    """A fault one test queued but never triggered must not hit the next test."""
    yield
    if "sandbox" in request.fixturenames:
        sandbox: SandboxThread = request.getfixturevalue("sandbox")
        sandbox.call(lambda s: s.faults.clear())
