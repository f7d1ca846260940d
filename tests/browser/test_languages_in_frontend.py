"""The pack in the frontend's language, and each node's help page, in a real frontend.

The ComfyUI here has the pack in `custom_nodes/freesora-nodes`, the folder a Registry or git
install makes: the node library looks a custom node's help up under the first part of its
module name, so a folder name holding a dot (the other browser tests use one on purpose) has
no help pages in any frontend. Screenshots go where test_web_extension.py puts its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_host import REPO_ROOT
from comfy_host.hosts import Host
from web_host import WebHost, frontend, page_json, running_web_host, shoot

INSTALLED_AS = "freesora-nodes"
LOCALES = REPO_ROOT / "locales"
WORKFLOWS = REPO_ROOT / "example_workflows"
FRONTEND_READY = (
    "() => window.app?.graph && app.extensions?.some(e => e.name === 'FreeSora.Frontend')"
)


def _zh(name: str) -> Any:
    return json.loads((LOCALES / "zh" / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, host: Host) -> Iterator[WebHost]:
    with running_web_host(host, tmp_path_factory.mktemp("lang-base"), INSTALLED_AS) as running:
        yield running


def _open(installed: WebHost, chromium: Any, *, locale: str, vue: bool) -> Any:
    for setting, value in (("Comfy.Locale", locale), ("Comfy.VueNodes.Enabled", vue)):
        status, _ = installed.server.request("POST", f"/api/settings/{setting}", value)
        assert status == 200
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(installed.server.url)
    page.wait_for_function(FRONTEND_READY, timeout=90_000)
    page.wait_for_timeout(1500)  # setup() fetches the translations and the price table
    page.freesora_errors = errors
    page.freesora_mode = "vue" if vue else "classic"
    return page


@pytest.fixture(params=["classic", "vue"])
def chinese(request: pytest.FixtureRequest, installed: WebHost, chromium: Any) -> Iterator[Any]:
    page = _open(installed, chromium, locale="zh", vue=request.param == "vue")
    yield page
    assert not [e for e in page.freesora_errors if "freesora" in e.lower()], page.freesora_errors
    page.context.close()


NEW_NODE = """(type) => {
    app.graph.clear();
    const node = LiteGraph.createNode(type);
    node.pos = [420, 160];
    app.graph.add(node);
    app.graph.setDirtyCanvas(true, true);
    return {
        id: node.id,
        title: node.title,
        labels: Object.fromEntries((node.widgets ?? []).map(w => [w.name, w.label ?? null])),
        outputs: node.outputs.map(o => o.localized_name ?? o.label ?? null),
        badges: (node.badges || []).map(b => (typeof b === 'function' ? b() : b).text),
    };
}"""


def test_in_chinese_a_new_node_shows_its_chinese_name_labels_outputs_and_estimate(
    chinese: Any, tmp_path: Path
) -> None:
    defs = _zh("nodeDefs.json")["FreeSoraTextToVideo"]
    node = page_json(chinese, NEW_NODE, "FreeSoraTextToVideo")
    assert node["title"] == defs["display_name"]
    widgets = {name: label for name, label in node["labels"].items() if name in defs["inputs"]}
    assert widgets == {name: defs["inputs"][name]["name"] for name in widgets}
    assert len(widgets) >= 9  # every widget input is labelled (the seed's control is the core's)
    assert node["outputs"] == [defs["outputs"]["0"]["name"]]
    assert [b for b in node["badges"] if b] == ["≈ 30 积分"]
    if chinese.freesora_mode == "vue" and frontend(chinese) >= (1, 28):
        on_node = chinese.locator(f'[data-node-id="{node["id"]}"]')
        on_node.get_by_text(defs["display_name"]).first.wait_for(timeout=10_000)
        on_node.get_by_text(defs["inputs"]["prompt"]["name"]).first.wait_for(timeout=10_000)
    chinese.wait_for_timeout(500)
    shoot(chinese, tmp_path, "zh_node")


def _registered_settings(page: Any) -> list[dict[str, Any]]:
    return list(
        page_json(
            page,
            "async () => app.extensions.find(e => e.name === 'FreeSora.Frontend').settings"
            ".map(s => ({id: s.id, name: s.name, tooltip: s.tooltip ?? null}))",
        )
    )


def test_in_chinese_every_freesora_setting_reads_chinese(chinese: Any, tmp_path: Path) -> None:
    if chinese.freesora_mode == "vue":
        pytest.skip("the Settings dialog is the same in both modes (classic covers it)")
    translated = _zh("settings.json")
    registered = _registered_settings(chinese)
    assert registered
    for setting in registered:
        entry = translated[setting["id"].replace(".", "_")]
        assert ("tooltip" in entry) == bool(setting["tooltip"]), setting["id"]
    chinese.evaluate("() => app.extensionManager.command.execute('Comfy.ShowSettingsDialog')")
    dialog = chinese.locator(".p-dialog, [role=dialog]").last
    dialog.wait_for(state="visible", timeout=10_000)
    dialog.get_by_text("FreeSora", exact=True).first.click()
    key = chinese.locator("[data-freesora=key-input]")
    key.wait_for(state="visible", timeout=10_000)
    for setting in registered:
        if setting["id"] == "FreeSora.Inbox.Open":
            continue  # shown only by frontends without sidebar tabs
        name = translated[setting["id"].replace(".", "_")]["name"]
        dialog.get_by_text(name, exact=True).first.wait_for(timeout=10_000)
    main = _zh("main.json")
    for category in ("API key", "Cost"):
        dialog.get_by_text(main["settingsCategories"][category], exact=True).first.wait_for()
    assert key.get_attribute("placeholder") == main["freesora"]["key"]["placeholder"]
    status = chinese.locator("[data-freesora=key-status]")
    status.get_by_text("没有设置密钥", exact=False).wait_for(timeout=10_000)
    chinese.locator("[data-freesora=key-store]").get_by_text("保存").wait_for()
    chinese.locator("[data-freesora=prices-info]").get_by_text("你的价格", exact=False).wait_for()
    shoot(chinese, tmp_path, "zh_settings")


def test_in_chinese_the_freesora_tab_and_the_confirmation_read_chinese(
    chinese: Any, installed: WebHost, tmp_path: Path
) -> None:
    workflow = json.loads((WORKFLOWS / "freesora_text_to_video.json").read_text(encoding="utf-8"))
    chinese.evaluate("async (wf) => { await app.loadGraphData(wf) }", workflow)
    chinese.wait_for_timeout(800)
    chinese.locator("button:has(.pi-video)").first.click()
    inbox = chinese.locator("[data-freesora=inbox]")
    inbox.wait_for(state="visible", timeout=10_000)
    inbox.get_by_text("FreeSora 任务", exact=True).wait_for(timeout=10_000)
    chinese.locator("[data-freesora=refresh]").get_by_text("刷新").wait_for()
    cost = chinese.locator("[data-freesora=graph-cost]")
    cost.get_by_text("这个工作流：每次运行 ≈ 150 积分", exact=False).wait_for(timeout=10_000)
    shoot(chinese, tmp_path, "zh_inbox")

    chinese.evaluate("() => app.extensionManager.setting.set('FreeSora.Cost.ConfirmAbove', 100)")
    try:
        creates = installed.sandbox.request_counts()[0]
        chinese.evaluate("() => { window.__queued = app.queuePrompt(0, 1) }")
        confirm = chinese.locator(".p-dialog, [role=dialog]", has_text="确认花费").last
        confirm.wait_for(state="visible", timeout=10_000)
        assert "估计花费 ≈ 150 积分" in confirm.inner_text()
        shoot(chinese, tmp_path, "zh_confirm")
        confirm.locator("button").filter(has_text="取消").first.click()
        assert chinese.evaluate("async () => await window.__queued") is False
        assert installed.sandbox.request_counts()[0] == creates
    finally:
        installed.server.request("POST", "/api/settings/FreeSora.Cost.ConfirmAbove", 2000)


HELP_OPENERS = {
    # 1.45 and newer: the selection toolbox's node-info button opens the page in a side panel.
    "toolbox": "button:has(.icon-\\[lucide--info\\])",
    # 1.27: the node library's help button beside each node.
    "library": "li[role=treeitem][aria-label='{name}'] .help-button",
}


def _open_help(page: Any, node_type: str, display_name: str) -> None:
    page_json(page, NEW_NODE, node_type)
    page.evaluate("() => app.canvas.selectNode(app.graph.nodes[0])")
    page.wait_for_timeout(800)
    toolbox = page.locator(HELP_OPENERS["toolbox"]).first
    if toolbox.count() and toolbox.is_visible():
        toolbox.click()
        return
    page.evaluate(
        "() => app.extensionManager.command.execute('Workspace.ToggleSidebarTab.node-library')"
    )
    page.get_by_text("FreeSora", exact=True).first.click()
    page.locator(HELP_OPENERS["library"].format(name=display_name)).click()


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_node_help_shows_the_page_of_the_frontends_language(
    installed: WebHost, chromium: Any, tmp_path: Path, locale: str
) -> None:
    page = _open(installed, chromium, locale=locale, vue=False)
    try:
        node_type = "FreeSoraStoryboard"
        names = json.loads((LOCALES / locale / "nodeDefs.json").read_text(encoding="utf-8"))
        display_name = names[node_type]["display_name"]
        docs = REPO_ROOT / "web" / "docs"
        help_page = docs / (f"{node_type}.md" if locale == "en" else f"{node_type}/{locale}.md")
        sections = [
            line[3:] for line in help_page.read_text("utf-8").splitlines() if line[:3] == "## "
        ]
        _open_help(page, node_type, display_name)
        for section in sections:  # the page's own headings, rendered
            page.get_by_role("heading", name=section).first.wait_for(timeout=10_000)
        shoot(page, tmp_path, f"{locale}_help")
    finally:
        page.context.close()
