"""Fixtures for the tests inside a real ComfyUI; all skip unless FREESORA_COMFYUI_DIR is set.

Owns the session's temp base dir, sandbox thread and ComfyUI process.
Must not write into the repository or read the user's FreeSora config.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from comfy_graphs import CANARY_KEY, HERE, PACK_ENTRY, REPO_ROOT, TASK_SECONDS
from comfy_server import ComfyServer, SandboxThread, start_comfyui, write_example_image

SKIP_REASON = (
    "FREESORA_COMFYUI_DIR is not set: point it at a ComfyUI checkout (and FREESORA_COMFYUI_PYTHON "
    "at that ComfyUI's Python) to run the pack inside a real ComfyUI"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark (and without ComfyUI, skip) this folder's tests; the key canary runs after the rest."""
    ours = [item for item in items if HERE in Path(item.path).resolve().parents]
    skip = None if os.environ.get("FREESORA_COMFYUI_DIR") else pytest.mark.skip(reason=SKIP_REASON)
    for item in ours:
        item.add_marker(pytest.mark.comfyui)
        if skip is not None:
            item.add_marker(skip)
    last = [item for item in ours if item.name.startswith("test_the_api_key_")]
    items[:] = [item for item in items if item not in last] + last


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxThread]:
    running = SandboxThread(task_seconds=TASK_SECONDS, default_credits=100_000).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def comfy(
    tmp_path_factory: pytest.TempPathFactory, sandbox: SandboxThread
) -> Iterator[ComfyServer]:
    comfy_dir = Path(os.environ["FREESORA_COMFYUI_DIR"]).expanduser().resolve()
    if not (comfy_dir / "main.py").is_file():
        pytest.fail(f"FREESORA_COMFYUI_DIR={comfy_dir} holds no main.py: not a ComfyUI checkout")
    python = os.environ.get("FREESORA_COMFYUI_PYTHON") or sys.executable
    base = tmp_path_factory.mktemp("comfy-base")
    (base / "custom_nodes").mkdir()
    (base / "custom_nodes" / PACK_ENTRY).symlink_to(REPO_ROOT, target_is_directory=True)
    (base / "input").mkdir()
    write_example_image(base / "input" / "example.png")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREESORA_")}
    env.update(
        PYTHONDONTWRITEBYTECODE="1",  # the pack is a symlink to the repo: no __pycache__ there
        FREESORA_BASE_URL=sandbox.base_url,
        FREESORA_API_KEY=CANARY_KEY,
        FREESORA_CONFIG=str(base / "freesora-config.json"),  # absent: the user's is never read
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    try:
        server = start_comfyui(python, comfy_dir, base, env)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        failed = [
            line
            for line in server.log_text().splitlines()
            if "IMPORT FAILED" in line and "freesora" in line.lower()
        ]
        assert not failed, "the pack failed to import:\n" + "\n".join(failed) + server.tail()
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
