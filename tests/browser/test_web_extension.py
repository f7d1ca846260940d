"""The pack's frontend in a real ComfyUI and headless Chromium: badges, settings, inbox, guard.

Each test runs in the classic canvas and in Nodes 2.0 (Vue nodes), and saves screenshots.
The frontend comes from FREESORA_COMFYUI_FRONTEND (else the core's own).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import on_screen
import pytest
from browser_host import REPO_ROOT
from web_host import BROWSER_KEY, WebHost, frontend, page_json, shoot
from web_tasks import SANDBOX_PROMPT, collected, create_sandbox_task, run_the_open_workflow

MODES = ["classic", "vue"]
WORKFLOWS = REPO_ROOT / "example_workflows"
BADGES = "(id) => (app.graph.getNodeById(id).badges || []).map(b => (typeof b === 'function' ? b() : b).text).filter(t => t && t.includes('credits'))"  # noqa: E501


def _set_setting(host: WebHost, setting: str, value: Any) -> None:
    status, _ = host.server.request("POST", f"/api/settings/{setting}", value)
    assert status == 200


@pytest.fixture(params=MODES)
def page(request: pytest.FixtureRequest, web_host: WebHost, chromium: Any) -> Iterator[Any]:
    host = web_host
    _set_setting(host, "Comfy.VueNodes.Enabled", request.param == "vue")
    _set_setting(host, "FreeSora.Cost.ConfirmAbove", 2000)
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.goto(host.server.url)
    opened.wait_for_function(
        "() => window.app?.graph && app.extensions?.some(e => e.name === 'FreeSora.Frontend')",
        timeout=90_000,
    )
    opened.wait_for_timeout(1500)  # the extension's setup() fetches the price table
    on_screen.record_canvas_badges(opened)
    opened.freesora_mode = request.param
    opened.freesora_errors = errors
    yield opened
    assert not [e for e in errors if "freesora" in e.lower()], errors
    context.close()


def load(page: Any, name: str) -> None:
    workflow = json.loads((WORKFLOWS / name).read_text(encoding="utf-8"))
    page.evaluate("async (wf) => { await app.loadGraphData(wf) }", workflow)
    page.wait_for_timeout(800)


def node_id(page: Any, comfy_class: str) -> int:
    found = page.evaluate(
        "(c) => app.graph.nodes.find(n => n.comfyClass === c)?.id ?? null", comfy_class
    )
    assert found is not None
    return int(found)


def set_widget(page: Any, node: int, name: str, value: Any) -> None:
    page.evaluate(
        """([id, name, value]) => {
            const node = app.graph.getNodeById(id);
            const widget = node.widgets.find(w => w.name === name);
            widget.value = value;
            widget.callback?.(value, app.canvas, node);
            node.setDirtyCanvas?.(true, true);
        }""",
        [node, name, value],
    )
    page.wait_for_timeout(400)


def badge_on_screen(page: Any, node: int, text: str) -> None:
    """The badge is drawn on the canvas (classic) or rendered as a chip (Vue nodes).

    Frontend 1.27's Nodes 2.0 (then a beta) renders no extension badges at all: there the
    estimate is shown by the inbox's "This workflow" line and the queue confirmation instead.
    """
    if page.freesora_mode == "vue" and frontend(page) < (1, 28):
        return
    on_screen.badge_on_screen(page, node, text)


def test_each_creation_node_shows_its_estimate_and_follows_its_widgets(
    page: Any, tmp_path: Path
) -> None:
    prices = page_json(page, "async () => (await (await fetch('/freesora/prices')).json())")
    pro = prices["models"]["sora-2-pro-text-to-video"]["credits"]
    load(page, "freesora_text_to_video.json")
    t2v = node_id(page, "FreeSoraTextToVideo")
    assert page_json(page, BADGES, t2v) == [f"≈ {pro['10']['standard']} credits"]
    badge_on_screen(page, t2v, f"≈ {pro['10']['standard']} credits")
    set_widget(page, t2v, "n_frames", "15")
    set_widget(page, t2v, "size", "high")
    expected = f"≈ {pro['15']['high']} credits"
    assert page_json(page, BADGES, t2v) == [expected]
    badge_on_screen(page, t2v, expected)
    shoot(page, tmp_path, "badge_text_to_video")
    set_widget(page, t2v, "model", "sora-2-text-to-video")
    plain = prices["models"]["sora-2-text-to-video"]["credits"]["15"]["standard"]
    assert page_json(page, BADGES, t2v) == [f"≈ {plain} credits"]  # size counts for Pro only

    load(page, "freesora_storyboard.json")
    board = node_id(page, "FreeSoraStoryboard")
    story = prices["models"]["sora-2-pro-storyboard"]["credits"]
    set_widget(page, board, "n_frames", "25")
    assert page_json(page, BADGES, board) == [f"≈ {story['25']['standard']} credits"]
    badge_on_screen(page, board, f"≈ {story['25']['standard']} credits")
    shoot(page, tmp_path, "badge_storyboard")

    load(page, "freesora_image_to_video.json")  # the image comes through a composite node
    i2v = node_id(page, "FreeSoraImageToVideo")
    image = prices["models"]["sora-2-image-to-video"]["credits"]["10"]["standard"]
    assert page_json(page, BADGES, i2v) == [f"≈ {image} credits / image"]  # batch unknown
    badge_on_screen(page, i2v, f"≈ {image} credits / image")
    page.evaluate(
        """(id) => {
            const target = app.graph.getNodeById(id);
            const source = LiteGraph.createNode("EmptyImage");
            source.widgets.find(w => w.name === "batch_size").value = 3;
            source.pos = [target.pos[0] - 20, target.pos[1] + target.size[1] + 60];
            app.graph.add(source);
            source.connect(0, target, 0);
        }""",
        i2v,
    )
    tripled = f"≈ {3 * image} credits (3 × {image})"
    badge_on_screen(page, i2v, tripled)  # at once, before any widget of the node changes
    assert page_json(page, BADGES, i2v) == [tripled]
    source = int(page.evaluate("(id) => app.graph.getNodeById(id).getInputNode(0).id", i2v))
    set_widget(page, source, "batch_size", 5)  # the source's widget, not the node's own
    badge_on_screen(page, i2v, f"≈ {5 * image} credits (5 × {image})")
    set_widget(page, source, "batch_size", 3)
    set_widget(page, i2v, "n_frames", "15")
    longer = prices["models"]["sora-2-image-to-video"]["credits"]["15"]["standard"]
    expected = f"≈ {3 * longer} credits (3 × {longer})"
    assert page_json(page, BADGES, i2v) == [expected]
    badge_on_screen(page, i2v, expected)
    # The example's note sits just above the node, where the canvas draws the badge.
    page.evaluate(
        "() => { for (const n of app.graph.nodes) if (n.type === 'Note') n.pos[1] -= 160;"
        " app.graph.setDirtyCanvas(true, true) }"
    )
    page.wait_for_timeout(300)
    shoot(page, tmp_path, "badge_image_to_video")
    page.evaluate("(id) => app.graph.getNodeById(id).disconnectInput(0)", i2v)
    badge_on_screen(page, i2v, f"≈ {longer} credits")  # no image link: one task (image_url)


def open_settings(page: Any) -> Any:
    page.evaluate("() => app.extensionManager.command.execute('Comfy.ShowSettingsDialog')")
    dialog = page.locator(".p-dialog, [role=dialog]").last
    dialog.wait_for(state="visible", timeout=10_000)
    dialog.get_by_text("FreeSora", exact=True).first.click()
    page.locator("[data-freesora=key-input]").wait_for(state="visible", timeout=10_000)
    return dialog


def stored_key(host: WebHost) -> str | None:
    if not host.config_file.exists():
        return None
    profiles = json.loads(host.config_file.read_text()).get("profiles", {})
    return profiles.get("default", {}).get("api_key")


def test_the_key_is_stored_write_only_checked_and_never_kept_in_the_browser(
    page: Any, web_host: WebHost, tmp_path: Path
) -> None:
    host = web_host
    host.server.request("DELETE", "/freesora/key")
    open_settings(page)
    key_input = page.locator("[data-freesora=key-input]")
    key_input.fill("not a key")
    page.locator("[data-freesora=key-store]").click()
    page.get_by_text("Key refused", exact=False).first.wait_for(timeout=10_000)
    assert stored_key(host) is None

    key_input.fill(BROWSER_KEY)
    page.locator("[data-freesora=key-store]").click()
    page.get_by_text("Key stored", exact=False).first.wait_for(timeout=10_000)
    status = page.locator("[data-freesora=key-status]")
    status.get_by_text("A key is set", exact=False).wait_for(timeout=10_000)
    assert key_input.input_value() == ""
    assert stored_key(host) == BROWSER_KEY
    if os.name != "nt":
        assert stat.S_IMODE(host.config_file.stat().st_mode) == 0o600

    page.locator("[data-freesora=key-check]").click()
    result = page.locator("[data-freesora=check-result]")
    result.get_by_text("the key works", exact=False).wait_for(timeout=20_000)
    shoot(page, tmp_path, "settings")

    stored = page.evaluate(
        "() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"
    )
    assert BROWSER_KEY not in stored
    assert BROWSER_KEY not in page.content()
    _, settings = host.server.request("GET", "/api/settings")
    assert BROWSER_KEY not in json.dumps(settings)
    assert BROWSER_KEY not in host.server.log_text()


def example_prompt() -> str:
    workflow = json.loads((WORKFLOWS / "freesora_text_to_video.json").read_text())
    [node] = [n for n in workflow["nodes"] if n["type"] == "FreeSoraTextToVideo"]
    return str(node["widgets_values"][1])


def test_the_inbox_lists_tasks_newest_first_and_collects_one(
    page: Any, web_host: WebHost, tmp_path: Path
) -> None:
    host = web_host
    host.server.request("POST", "/freesora/key", {"api_key": BROWSER_KEY})
    load(page, "freesora_text_to_video.json")
    run = run_the_open_workflow(page, host)  # a task made by the node itself, journaled
    assert run["status"]["status_str"] == "success", run["status"]
    older, newest = create_sandbox_task(host), create_sandbox_task(host)
    page.locator("button:has(.pi-video)").first.click()
    inbox = page.locator("[data-freesora=inbox]")
    inbox.wait_for(state="visible", timeout=10_000)
    page.locator("[data-freesora=refresh]").click()
    inbox.get_by_text(newest).wait_for(timeout=10_000)
    ids = page.locator("[data-freesora=task] code").all_inner_texts()
    assert ids.index(newest) < ids.index(older)
    page.locator("[data-freesora=task]", has_text=newest).get_by_text(SANDBOX_PROMPT).wait_for()
    # The node's task shows the start of its prompt and what was sent (the ledger's summary).
    made = page.locator("[data-freesora=task]", has_text=example_prompt()[:40])
    made.first.wait_for(state="visible", timeout=10_000)
    assert "sora-2-pro-text-to-video" in made.first.inner_text()
    # The node's take is priced, and the last 24 hours are counted for the account.
    assert "≈ 150 credits" in made.first.inner_text()
    spent = page.locator("[data-freesora=spent]")
    assert spent.inner_text().startswith("last 24 h: ≈ "), spent.inner_text()
    assert "no daily budget set" in spent.inner_text()
    row = page.locator("[data-freesora=task]", has_text=newest)
    row.locator("[data-freesora=collect]").click()
    entry = collected(host, newest)
    assert entry["status"]["status_str"] == "success", entry["status"]
    saved = [v for out in entry["outputs"].values() for v in out.get("images", [])]
    saved += [v for out in entry["outputs"].values() for v in out.get("videos", [])]
    assert saved, entry["outputs"]
    page.locator("[data-freesora=refresh]").click()
    row.get_by_text("succeeded").wait_for(timeout=10_000)
    assert "≈ 150 credits" in page.locator("[data-freesora=graph-cost]").inner_text()
    # 1.45's "Job queued" banner (not a toast) would cover the picture: it leaves by itself.
    page.get_by_text("Job queued", exact=True).wait_for(state="hidden", timeout=15_000)
    shoot(page, tmp_path, "inbox")


def test_a_prompt_above_the_threshold_asks_first_and_cancel_queues_nothing(
    page: Any, web_host: WebHost, tmp_path: Path
) -> None:
    host = web_host
    load(page, "freesora_text_to_video.json")
    page.evaluate("() => app.extensionManager.setting.set('FreeSora.Cost.ConfirmAbove', 100)")
    creates = host.sandbox.request_counts()[0]
    page.evaluate("() => { window.__queued = app.queuePrompt(0, 1) }")
    dialog = page.locator(".p-dialog, [role=dialog]", has_text="confirm the spend").last
    dialog.wait_for(state="visible", timeout=10_000)
    assert "≈ 150 credits" in dialog.inner_text()
    shoot(page, tmp_path, "confirm")
    dialog.get_by_role("button", name="Cancel").click()
    assert page.evaluate("async () => await window.__queued") is False
    _, queue = host.server.request("GET", "/queue")
    assert queue["queue_running"] == []
    assert queue["queue_pending"] == []
    assert host.sandbox.request_counts()[0] == creates


def _with_prices(host: WebHost, prices: dict[str, Any] | None) -> None:
    """The config file's `prices` table set (or removed), keeping whatever else it holds."""
    data = json.loads(host.config_file.read_text()) if host.config_file.exists() else {}
    data.pop("prices", None)
    if prices is not None:
        data["prices"] = prices
    host.config_file.write_text(json.dumps(data), encoding="utf-8")


def test_a_user_price_changes_the_badge_and_the_settings_say_where_the_table_lives(
    page: Any, web_host: WebHost, tmp_path: Path
) -> None:
    pro = "sora-2-pro-text-to-video"
    _with_prices(web_host, {pro: {"10": {"standard": 375}}})
    try:
        page.reload()
        page.wait_for_function(
            "() => window.app?.graph && app.extensions?.some(e => e.name === 'FreeSora.Frontend')",
            timeout=90_000,
        )
        page.wait_for_timeout(1500)
        on_screen.record_canvas_badges(page)
        load(page, "freesora_text_to_video.json")
        t2v = node_id(page, "FreeSoraTextToVideo")
        set_widget(page, t2v, "model", pro)
        set_widget(page, t2v, "size", "standard")
        set_widget(page, t2v, "n_frames", "10")
        mine = "≈ 375 credits (your price)"
        assert page_json(page, BADGES, t2v) == [mine]
        badge_on_screen(page, t2v, mine)
        shoot(page, tmp_path, "badge_user_price")
        set_widget(page, t2v, "n_frames", "15")  # not in the user's table: the estimate
        estimate = page_json(page, "async () => (await (await fetch('/freesora/prices')).json())")[
            "models"
        ][pro]["credits"]["15"]["standard"]
        assert page_json(page, BADGES, t2v) == [f"≈ {estimate} credits"]
        open_settings(page)
        info = page.locator("[data-freesora=prices-info]")
        info.get_by_text(str(web_host.config_file), exact=False).wait_for(timeout=10_000)
        assert "1 price of yours" in info.inner_text()
        shoot(page, tmp_path, "settings_prices")
    finally:
        _with_prices(web_host, None)
