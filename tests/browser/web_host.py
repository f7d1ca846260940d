"""The ComfyUI behind the frontend-extension tests: the pack, the sandbox, and no key set.

Unlike `browser_comfy` (which starts ComfyUI with FREESORA_API_KEY set), these tests store the
key through the page, so the key must come from the config file only. Built on tests/comfy_host
(FREESORA_COMFYUI_DIR / _PYTHON / _FRONTEND) and browser_host's `chromium`.
Writes only under the temp base dir, except screenshots (docs/images/web/, when asked).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from comfy_host.graphs import PACK_ENTRY, REPO_ROOT
from comfy_host.hosts import Host
from comfy_host.server import ComfyServer, SandboxThread, pack_env, start_host

BROWSER_KEY = "sk-sandbox-BROWSER-CANARY-51c2"
# Settings that keep first-run dialogs and extra badges out of the screenshots.
QUIET_SETTINGS = {
    "Comfy.TutorialCompleted": True,
    "Comfy.NodeBadge.NodeSourceBadgeMode": "None",
    "Comfy.NodeBadge.NodeIdBadgeMode": "None",
    "Comfy.Minimap.Visible": False,
}


@dataclass
class WebHost:
    server: ComfyServer
    sandbox: SandboxThread
    config_file: Path
    journal_file: Path


def start_web_host(
    host: Host, base: Path, pack_entry: str = PACK_ENTRY, **extra_env: str
) -> WebHost:
    """ComfyUI with the pack in custom_nodes/<pack_entry>, the sandbox, and no key set;
    `extra_env` adds to ComfyUI's environment."""
    sandbox = SandboxThread(task_seconds=1.0, default_credits=100_000).start()
    host.prepare_base(base)
    (base / "custom_nodes" / pack_entry).symlink_to(REPO_ROOT, target_is_directory=True)
    settings = base / "user" / "default" / "comfy.settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps(QUIET_SETTINGS), encoding="utf-8")
    config_file, journal_file = base / "freesora-config.json", base / "freesora-tasks.jsonl"
    env = pack_env(sandbox.base_url, config_file, FREESORA_JOURNAL=str(journal_file), **extra_env)
    try:
        server = start_host(host, base, env, ready_path="/freesora/prices")
    except RuntimeError:
        sandbox.stop()
        raise
    return WebHost(server, sandbox, config_file, journal_file)


@contextlib.contextmanager
def running_web_host(
    host: Host, base: Path, pack_entry: str = PACK_ENTRY, **extra_env: str
) -> Iterator[WebHost]:
    """`start_web_host` for the span of a fixture: a start that fails fails the test."""
    try:
        running = start_web_host(host, base, pack_entry, **extra_env)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield running
    finally:
        running.server.stop()
        running.sandbox.stop()


@pytest.fixture(scope="session")
def web_host(tmp_path_factory: pytest.TempPathFactory, host: Host) -> Iterator[WebHost]:
    with running_web_host(host, tmp_path_factory.mktemp("web-base")) as running:
        yield running


def saving_pictures() -> bool:
    """FREESORA_SAVE_SCREENSHOTS=1: the browser checks save their pictures under docs/images/
    (to refresh the docs'), else in a temp folder."""
    return os.environ.get("FREESORA_SAVE_SCREENSHOTS") == "1"


def screenshot_dir(tmp: Path) -> Path:
    """docs/images/web/ when `saving_pictures()`, else tmp."""
    target = REPO_ROOT / "docs" / "images" / "web" if saving_pictures() else tmp / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target


# PrimeVue's toasts (1.27, 1.45) and reka's (1.58).
TOAST_HIDER = ".p-toast, [data-toast-kind], li[role=status] { display: none !important; }"


def shoot(page: Any, tmp_path: Path, what: str, target: Any = None) -> Path:
    """A screenshot named after the frontend, the mode (`page.freesora_mode`) and `what`."""
    version = page.evaluate("() => window.__COMFYUI_FRONTEND_VERSION__ || 'unknown'")
    path = screenshot_dir(tmp_path) / f"fe{version}_{page.freesora_mode}_{what}.png"
    # Toasts would cover what the picture is about (they were asserted on before).
    hidden = page.add_style_tag(content=TOAST_HIDER)
    page.wait_for_timeout(300)
    (target or page).screenshot(path=str(path))
    hidden.evaluate("(style) => style.remove()")
    return path


def frontend(page: Any) -> tuple[int, ...]:
    """The frontend's version as (major, minor)."""
    version = page.evaluate("() => window.__COMFYUI_FRONTEND_VERSION__ || '0.0.0'")
    return tuple(int(part) for part in version.split(".")[:2])


def page_json(page: Any, script: str, arg: Any = None) -> Any:
    """Evaluate `script` in the page and stringify there (undefined would come back as null)."""
    text = page.evaluate(f"async (arg) => JSON.stringify(await ({script})(arg))", arg)
    return json.loads(text)
