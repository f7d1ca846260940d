"""A real ComfyUI (optionally with another frontend) and headless Chromium, for the browser tests.

Owns the temp base dir, the sandbox thread behind ComfyUI, the ComfyUI process and the browser.
Writes only under the temp base dir, except screenshots (into docs/images/web/ when asked).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "comfyui"))  # the sandbox thread and ComfyServer helpers

from comfy_server import ComfyServer, SandboxThread, free_port  # noqa: E402

PACK_ENTRY = "freesora-nodes.dev"
BROWSER_KEY = "sk-sandbox-BROWSER-CANARY-51c2"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Settings that keep first-run dialogs out of the way (they would cover the screenshots).
QUIET_SETTINGS = {
    "Comfy.TutorialCompleted": True,
    "Comfy.InstalledVersion": "99.0.0",
    "Comfy.Workflow.ShowMissingNodesWarning": False,
    "Comfy.Workflow.ShowMissingModelsWarning": False,
    "Comfy.NodeBadge.NodeSourceBadgeMode": "None",
    "Comfy.NodeBadge.NodeIdBadgeMode": "None",
    "Comfy.Minimap.Visible": False,
}


@dataclass
class Host:
    server: ComfyServer
    sandbox: SandboxThread
    base: Path
    config_file: Path
    journal_file: Path
    label: str  # e.g. "ComfyUI 0.3.64 + frontend 1.27"


def chromium_path() -> str | None:
    return os.environ.get("FREESORA_CHROMIUM") or shutil.which("chromium")


def start_host(base: Path, frontend_root: str | None) -> Host:
    comfy_dir = Path(os.environ["FREESORA_COMFYUI_DIR"]).expanduser().resolve()
    python = os.environ.get("FREESORA_COMFYUI_PYTHON") or sys.executable
    sandbox = SandboxThread(task_seconds=1.0, default_credits=100_000).start()
    for sub in ("custom_nodes", "input", "user/default"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "custom_nodes" / PACK_ENTRY).symlink_to(REPO_ROOT, target_is_directory=True)
    (base / "user" / "default" / "comfy.settings.json").write_text(json.dumps(QUIET_SETTINGS))
    config_file, journal_file = base / "freesora-config.json", base / "freesora-tasks.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREESORA_")}
    env.update(
        PYTHONDONTWRITEBYTECODE="1",
        FREESORA_BASE_URL=sandbox.base_url,
        FREESORA_CONFIG=str(config_file),
        FREESORA_JOURNAL=str(journal_file),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    port = free_port()
    command = [python, str(comfy_dir / "main.py"), "--cpu", "--listen", "127.0.0.1"]
    command += ["--port", str(port), "--base-directory", str(base)]
    command += ["--database-url", f"sqlite:///{base}/user/comfyui.db"]
    if frontend_root:
        command += ["--front-end-root", frontend_root]
    if "0.3." in _core_version(comfy_dir):
        command.remove("--database-url")
        command.remove(f"sqlite:///{base}/user/comfyui.db")
    log_path = base / "comfyui.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=comfy_dir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = ComfyServer(f"http://127.0.0.1:{port}", base, log_path, process)
    _wait_ready(server)
    label = f"ComfyUI {_core_version(comfy_dir)}"
    return Host(server, sandbox, base, config_file, journal_file, label)


def _core_version(comfy_dir: Path) -> str:
    text = (comfy_dir / "comfyui_version.py").read_text(encoding="utf-8")
    return text.split('"')[1]


def _wait_ready(server: ComfyServer, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"ComfyUI exited\n{server.tail()}")
        try:
            if server.request("GET", "/freesora/prices")[0] == 200:
                return
        except (OSError, ValueError):
            pass  # not listening yet
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"ComfyUI did not answer /freesora/prices in {timeout_s} s\n{server.tail()}")


def stop_host(host: Host) -> None:
    host.server.stop()
    host.sandbox.stop()


def screenshot_dir(tmp: Path) -> Path:
    """docs/images/web/ when FREESORA_SAVE_SCREENSHOTS=1 (to refresh the README's), else tmp."""
    if os.environ.get("FREESORA_SAVE_SCREENSHOTS") == "1":
        target = REPO_ROOT / "docs" / "images" / "web"
    else:
        target = tmp / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target


def page_json(page: Any, script: str, arg: Any = None) -> Any:
    """Evaluate `script` in the page and stringify there (undefined would come back as null)."""
    text = page.evaluate(f"async (arg) => JSON.stringify(await ({script})(arg))", arg)
    return json.loads(text)
