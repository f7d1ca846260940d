"""A real ComfyUI frontend in headless Chromium, for the browser checks of every host.

Owns the ComfyUI process these tests start (through tests/comfy_host: the same
FREESORA_COMFYUI_* variables as tests/comfyui) and the Chromium it drives (Python playwright,
the system's chromium: FREESORA_CHROMIUM or `chromium` on PATH). Without either, the tests skip.
Writes only under the temp base dir it is given.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from comfy_host.graphs import CANARY_KEY, REPO_ROOT
from comfy_host.hosts import Host
from comfy_host.server import ComfyServer, SandboxThread, serving_pack

EXAMPLES = REPO_ROOT / "example_workflows"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VUE_NODES_SETTING = "Comfy.VueNodes.Enabled"
# What a user who has closed the first-run template browser has; warnings stay at defaults.
FIRST_RUN_DONE = {"Comfy.TutorialCompleted": True}
# Anything the frontend shows to say something went wrong, in any frontend version.
PROBLEM_SELECTORS = ", ".join(
    [
        ".p-toast-message",  # toasts (PrimeVue)
        ".p-dialog",  # dialogs: missing nodes, missing models or media, errors
        ".comfy-modal[style*='block']",  # the legacy alert box
        "[data-testid='error-overlay']",
    ]
)
WAIT_MS = 60_000


def chromium_path() -> str | None:
    return os.environ.get("FREESORA_CHROMIUM") or shutil.which("chromium")


@dataclass
class Problems:
    """What the page complained about since the last `clear()`."""

    console: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.console.clear()
        self.alerts.clear()
        self.page_errors.clear()
        self.failed_requests.clear()


class FrontendPage:
    """One tab on the ComfyUI page, in the classic canvas or Nodes 2.0 (Vue nodes)."""

    def __init__(self, page: Any, server: ComfyServer) -> None:
        self.page = page
        self.server = server
        self.problems = Problems()
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.page_errors.append(str(error)))
        page.on("dialog", self._on_dialog)
        page.on("response", self._on_response)

    def _on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.failed_requests.append(f"{response.status} {response.url}")

    def _on_console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.console.append(f"{message.type}: {message.text}")

    def _on_dialog(self, dialog: Any) -> None:
        self.problems.alerts.append(dialog.message)
        dialog.dismiss()

    def open(self, *, vue_nodes: bool) -> None:
        """Load the page in the mode asked; switching modes reloads, as a user would."""
        self._load()
        if bool(self.setting(VUE_NODES_SETTING)) != vue_nodes:
            self.set_setting(VUE_NODES_SETTING, vue_nodes)
            self._load()  # the setting is kept by the server, so it holds after the reload
        self.settle()

    def _load(self) -> None:
        self.page.goto(self.server.url + "/", wait_until="load", timeout=WAIT_MS)
        self.page.wait_for_function(
            "() => window.app && window.app.graph && window.app.extensionManager",
            timeout=WAIT_MS,
        )
        self.page.wait_for_function(
            "() => window.app.extensions?.some(e => e.name === 'freesora.seedControl')",
            timeout=WAIT_MS,
        )

    def has_vue_nodes(self) -> bool:
        """Whether this frontend offers Nodes 2.0 (Vue nodes) at all."""
        return bool(
            self.page.evaluate(
                "id => !!window.app.ui.settings.settingsLookup?.[id]", VUE_NODES_SETTING
            )
        )

    def vue_node_count(self) -> int:
        """Nodes drawn as Vue components (Nodes 2.0), not on the canvas."""
        return int(self.page.evaluate("() => document.querySelectorAll('[data-node-id]').length"))

    def run_command(self, command_id: str) -> None:
        """A frontend command, as from the menu or a shortcut."""
        self.page.evaluate(
            "async id => { await window.app.extensionManager.command.execute(id); }", command_id
        )
        self.settle()

    def settle(self, ms: int = 800) -> None:
        """Let the frontend finish what it queued (toasts and dialogs appear asynchronously)."""
        self.page.wait_for_timeout(ms)

    def set_setting(self, setting_id: str, value: Any) -> None:
        self.page.evaluate(
            "async ([id, value]) => window.app.extensionManager.setting.set(id, value)",
            [setting_id, value],
        )

    def setting(self, setting_id: str) -> Any:
        return self.page.evaluate("id => window.app.extensionManager.setting.get(id)", setting_id)

    def visible_problems(self) -> list[str]:
        """Texts of every toast, dialog or alert box on screen now."""
        texts: list[str] = self.page.evaluate(
            """sel => [...document.querySelectorAll(sel)]
                .filter(el => el.offsetParent !== null || el.getClientRects().length)
                .map(el => (el.innerText || el.className).trim().slice(0, 300))""",
            PROBLEM_SELECTORS,
        )
        return texts

    def all_problems(self) -> list[str]:
        return (
            self.visible_problems()
            + self.problems.alerts
            + self.problems.page_errors
            + [line for line in self.problems.console if "freesora" in line.lower()]
            + [url for url in self.problems.failed_requests if "freesora" in url.lower()]
        )

    def load_ui_workflow(self, workflow: dict[str, Any], name: str) -> None:
        self.page.evaluate(
            "async ([wf, name]) => { await window.app.loadGraphData(wf, true, true, name); }",
            [workflow, name],
        )
        self.settle(1500)

    def graph_to_prompt(self) -> dict[str, Any]:
        text = self.page.evaluate(
            "async () => JSON.stringify((await window.app.graphToPrompt()).output)"
        )
        return dict(json.loads(text))

    def run_as_a_new_take(self) -> dict[str, Any]:
        """A new seed on each creation node, as a user asking for a new take, then queue and
        wait: the graph really runs (no earlier task is reused)."""
        self.page.evaluate(
            """seed => window.app.graph.nodes.forEach(node => {
                const widget = node.widgets?.find(w => w.name === 'seed');
                if (widget) widget.value = seed; })""",
            random.randrange(1, 2**31 - 1),
        )
        return self.queue_and_wait()

    def queue_and_wait(self, timeout_s: float = 90.0) -> dict[str, Any]:
        """Press Queue (app.queuePrompt) and return the history entry of the prompt it sent."""
        before = set((self.server.request("GET", "/history")[1] or {}).keys())
        self.page.evaluate("async () => { await window.app.queuePrompt(0, 1); }")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            history = self.server.request("GET", "/history")[1] or {}
            new = [pid for pid in history if pid not in before]
            if new and history[new[0]].get("status", {}).get("completed") is not None:
                return dict(history[new[0]])
            time.sleep(0.3)
        raise AssertionError(f"the queued prompt did not finish in {timeout_s} s")

    def add_node(self, node_type: str) -> dict[str, Any]:
        """Add a node as the search box does; its widgets' values as the user first sees them."""
        values = self.page.evaluate(
            """type => {
                const node = window.LiteGraph.createNode(type);
                window.app.graph.add(node);
                return Object.fromEntries(node.widgets.map(w => [w.name, w.value]));
            }""",
            node_type,
        )
        return dict(values)

    def node_widget_values(self, node_id: int) -> dict[str, Any]:
        values = self.page.evaluate(
            """id => Object.fromEntries(
                window.app.graph.getNodeById(id).widgets.map(w => [w.name, w.value]))""",
            node_id,
        )
        return dict(values)

    def screenshot_graph(self, path: Path, margin: int = 30) -> None:
        """A picture of the graph alone: fitted to the window, cropped to the nodes."""
        self.run_command("Comfy.Canvas.FitView")
        self.settle(1000)
        box = self.page.evaluate(
            """() => {
                const ds = window.app.canvas.ds, title = window.LiteGraph.NODE_TITLE_HEIGHT;
                const rect = window.app.canvas.canvas.getBoundingClientRect();
                const nodes = window.app.graph.nodes;
                const x0 = Math.min(...nodes.map(n => n.pos[0]));
                const y0 = Math.min(...nodes.map(n => n.pos[1] - title));
                const x1 = Math.max(...nodes.map(n => n.pos[0] + n.size[0]));
                const y1 = Math.max(...nodes.map(n => n.pos[1] + n.size[1]));
                const screen = (x, y) => [rect.left + (x + ds.offset[0]) * ds.scale,
                                          rect.top + (y + ds.offset[1]) * ds.scale];
                return [...screen(x0, y0), ...screen(x1, y1),
                        window.innerWidth, window.innerHeight];
            }"""
        )
        left, top, right, bottom, width, height = box
        left, top = max(0, left - margin), max(0, top - margin)
        right, bottom = min(width, right + margin), min(height, bottom + margin)
        path.parent.mkdir(parents=True, exist_ok=True)
        clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
        self.page.screenshot(path=str(path), clip=clip)


@pytest.fixture(scope="session")
def playwright(host: Host) -> Iterator[Any]:
    """The session's one Playwright: its sync API cannot start twice in one thread, so every
    browser of the session (`chromium`, or one launched with other flags) comes from it."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as instance:
        yield instance


def launch_chromium(playwright: Any, *extra_args: str) -> Any:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no chromium: install Debian's chromium or set FREESORA_CHROMIUM")
    return playwright.chromium.launch(
        executable_path=executable, args=[*CHROMIUM_ARGS, *extra_args]
    )


@pytest.fixture(scope="session")
def chromium(playwright: Any) -> Iterator[Any]:
    browser = launch_chromium(playwright)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def browser_sandbox(host: Host) -> Iterator[SandboxThread]:
    """The sandbox behind `browser_comfy`: what the pack sent, as the service would receive it."""
    sandbox = SandboxThread(task_seconds=1.0, default_credits=100_000).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture(scope="session")
def browser_comfy(
    tmp_path_factory: pytest.TempPathFactory, host: Host, browser_sandbox: SandboxThread
) -> Iterator[ComfyServer]:
    """ComfyUI with the pack and the sandbox behind it, settings as a returning user has them."""
    base = tmp_path_factory.mktemp("browser-base")
    settings = base / "user" / "default" / "comfy.settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps(FIRST_RUN_DONE), encoding="utf-8")
    with serving_pack(host, base, browser_sandbox.base_url, CANARY_KEY) as server:
        yield server


@pytest.fixture
def frontend(chromium: Any, browser_comfy: ComfyServer) -> Iterator[FrontendPage]:
    context = chromium.new_context(viewport={"width": 1600, "height": 900})
    try:
        yield FrontendPage(context.new_page(), browser_comfy)
    finally:
        context.close()


def frontend_version(page: FrontendPage) -> str:
    return str(page.page.evaluate("() => window.__COMFYUI_FRONTEND_VERSION__ ?? ''"))
