"""The Storyboard's shot timeline in the host's real frontend, classic canvas and Nodes 2.0:
a boundary dragged with the mouse rewrites shot_list and the queued prompt sends the new
durations; typed text redraws it; a total over n_frames shows before Run; a saved workflow
reopens with its shots; a workflow saved before shot_list existed loads unchanged and runs.

Frontend 1.27's Nodes 2.0 is a beta that renders no DOM widget at all (not even the core's
text boxes): the timeline is checked there in the classic canvas only. Screenshots of the node
go to docs/images/web/ with FREESORA_SAVE_SCREENSHOTS=1 (else the test's temp folder).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from browser_host import EXAMPLES, FrontendPage, frontend_version
from comfy_host.server import SandboxThread
from web_host import screenshot_dir

MODES = {"classic": False, "vue": True}
EXAMPLE = "freesora_storyboard.json"
SAVED_BEFORE_SHOT_LIST = Path(__file__).parent / "workflows" / "saved_before_shot_list.json"
STORYBOARD = 4  # the node id in both workflows
TIMELINE = "[data-freesora='timeline']"
SHOWN = """() => {
    const root = document.querySelector("[data-freesora='timeline']");
    if (!root || !root.isConnected || root.offsetParent === null) return null;
    const texts = (sel) => [...root.querySelectorAll(sel)].map((e) => e.innerText.trim());
    return {
        total: Number(root.dataset.total), level: root.dataset.level,
        summary: root.querySelector("[data-freesora='timeline-summary']").innerText,
        shots: texts("[data-freesora='timeline-shot']").map((t) => t.split("\\n")[0]),
        boundaries: root.querySelectorAll("[data-freesora='timeline-boundary']").length,
        status: texts("[data-freesora='timeline-status'] > div"),
    };
}"""


def _open(frontend: FrontendPage, mode: str) -> None:
    frontend.open(vue_nodes=MODES[mode])
    version = tuple(int(part) for part in frontend_version(frontend).split(".")[:2])
    if MODES[mode] and (not frontend.has_vue_nodes() or version < (1, 28)):
        pytest.skip(f"frontend {frontend_version(frontend)}'s Nodes 2.0 renders no DOM widget")
    frontend.problems.clear()


def _load(frontend: FrontendPage, workflow: dict[str, Any], name: str) -> None:
    frontend.load_ui_workflow(workflow, name)
    # The node at scale 1 near the top left, as a user looking at it.
    frontend.page.evaluate(
        """id => {
            const node = window.app.graph.getNodeById(id), ds = window.app.canvas.ds;
            ds.scale = 1;
            ds.offset[0] = 140 - node.pos[0];
            ds.offset[1] = 110 - node.pos[1];
            window.app.canvas.setDirty(true, true);
        }""",
        STORYBOARD,
    )
    frontend.settle(800)


def _example() -> dict[str, Any]:
    return dict(json.loads((EXAMPLES / EXAMPLE).read_text(encoding="utf-8")))


def _shown(frontend: FrontendPage) -> dict[str, Any]:
    frontend.page.wait_for_function(SHOWN, timeout=10_000)
    return dict(frontend.page.evaluate(SHOWN))


def _wait_shown(frontend: FrontendPage, script: str) -> dict[str, Any]:
    """The timeline once `script` (a JS test of what SHOWN returns, as `t`) holds."""
    frontend.page.wait_for_function(f"() => {{ const t = ({SHOWN})(); return t && ({script}); }}")
    return _shown(frontend)


def _shot_list(frontend: FrontendPage) -> str:
    return str(frontend.node_widget_values(STORYBOARD)["shot_list"])


def _drag_boundary(frontend: FrontendPage, index: int, by_seconds: float) -> None:
    """Press the boundary after shot `index` and drag it with the mouse, in small steps."""
    grip, track = frontend.page.evaluate(
        """i => {
            const box = (el) => { const r = el.getBoundingClientRect();
                                  return [r.x, r.y, r.width, r.height]; };
            const root = document.querySelector("[data-freesora='timeline']");
            const grips = root.querySelectorAll("[data-freesora='timeline-boundary']");
            return [box(grips[i]), box(root.querySelector("[data-freesora='timeline-track']"))];
        }""",
        index,
    )
    span = max(
        float(frontend.page.evaluate("s => document.querySelector(s).dataset.span", TIMELINE)), 1
    )
    x, y = grip[0] + grip[2] / 2, grip[1] + grip[3] / 2
    mouse = frontend.page.mouse
    mouse.move(x, y)
    mouse.down()
    for step in range(1, 11):
        mouse.move(x + track[2] / span * by_seconds * step / 10, y + step % 3)
    mouse.up()
    frontend.settle(400)


def _type_shot_list(frontend: FrontendPage, text: str) -> None:
    """Replace shot_list by typing into its text box, whichever renderer draws it."""
    found = frontend.page.evaluate(
        """id => {
            const widget = window.app.graph.getNodeById(id).widgets
                .find((w) => w.name === 'shot_list');
            const box = document.querySelector(`[data-node-id="${id}"] textarea`)
                ?? widget.element;
            if (box) box.dataset.freesoraTest = 'shot-list';
            return !!box;
        }""",
        STORYBOARD,
    )
    assert found, "no text box shows shot_list"
    frontend.page.locator("textarea[data-freesora-test='shot-list']").click()
    frontend.page.keyboard.press("Control+A")
    frontend.page.keyboard.type(text)
    frontend.page.evaluate("() => document.activeElement?.blur()")


def _screenshot(frontend: FrontendPage, tmp_path: Path, mode: str, what: str) -> None:
    box = frontend.page.evaluate(
        """id => {
            const node = window.app.graph.getNodeById(id);
            const el = document.querySelector(`[data-node-id="${id}"]`);
            if (el) { const r = el.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }
            const ds = window.app.canvas.ds, title = window.LiteGraph.NODE_TITLE_HEIGHT;
            const rect = window.app.canvas.canvas.getBoundingClientRect();
            return [rect.left + (node.pos[0] + ds.offset[0]) * ds.scale,
                    rect.top + (node.pos[1] - title + ds.offset[1]) * ds.scale,
                    node.size[0] * ds.scale, (node.size[1] + title) * ds.scale];
        }""",
        STORYBOARD,
    )
    version = frontend_version(frontend)
    path = screenshot_dir(tmp_path) / f"fe{version}_{mode}_{what}.png"
    clip = {"x": box[0] - 12, "y": box[1] - 12, "width": box[2] + 24, "height": box[3] + 24}
    frontend.page.screenshot(path=str(path), clip=clip)


@pytest.mark.comfyui
@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_dragged_boundary_rewrites_shot_list_reopens_saved_and_is_what_the_prompt_sends(
    frontend: FrontendPage, browser_sandbox: SandboxThread, mode: str, tmp_path: Path
) -> None:
    _open(frontend, mode)
    _load(frontend, _example(), EXAMPLE)
    shown = _shown(frontend)
    assert shown["shots"] == ["1 · 5 s", "2 · 4.5 s", "3 · 5.5 s"]
    assert (shown["total"], shown["level"], shown["boundaries"]) == (15, "ok", 2)
    assert shown["summary"] == "15 of 15 s · 0 s left"

    _drag_boundary(frontend, 0, 2.2)  # 5 s -> 7 s: on a whole second, taken from shot 2
    assert _shot_list(frontend) == (
        "7 | Establishing shot: a quiet harbour at dawn, mist over the water\n"
        "2.5 | A gull lands on a wooden mooring post, close-up\n"
        "5.5 | Waves slap against a fishing boat's hull as the sun rises"
    )
    shown = _wait_shown(frontend, "t.shots[0] === '1 · 7 s'")
    assert shown["shots"] == ["1 · 7 s", "2 · 2.5 s", "3 · 5.5 s"]
    assert shown["total"] == 15
    _drag_boundary(frontend, 1, -6)  # as far as it goes: shot 2 keeps 1 s, shot 3 gets the rest
    assert _wait_shown(frontend, "t.shots[1] === '2 · 1 s'")["shots"] == [
        "1 · 7 s",
        "2 · 1 s",
        "3 · 7 s",
    ]
    _screenshot(frontend, tmp_path, mode, "timeline")
    assert frontend.all_problems() == []

    saved = json.loads(frontend.page.evaluate("() => JSON.stringify(window.app.graph.serialize())"))
    # A new tab, as after a restart, and the saved file opened (leaving the tab with unsaved
    # changes would ask first).
    context = frontend.page.context
    frontend.page.close()
    reopened = FrontendPage(context.new_page(), frontend.server)
    _open(reopened, mode)
    _load(reopened, saved, "saved.json")
    assert _shown(reopened)["shots"] == ["1 · 7 s", "2 · 1 s", "3 · 7 s"]
    assert reopened.all_problems() == [], "the saved workflow did not reopen clean"
    before = browser_sandbox.call(lambda s: len(s.received.creates))
    entry = reopened.run_as_a_new_take()
    assert entry["status"]["status_str"] == "success", entry["status"]
    queued = entry["prompt"][2][str(STORYBOARD)]["inputs"]
    assert (
        queued["shot_list"].splitlines()[1] == "1 | A gull lands on a wooden mooring post, close-up"
    )
    [body] = browser_sandbox.call(lambda s: [r.body for r in s.received.creates[before:]])
    assert [shot["duration"] for shot in body["shots"]] == [7, 1, 7]
    assert body["nFrames"] == "15"


@pytest.mark.comfyui
@pytest.mark.parametrize("mode", sorted(MODES))
def test_typed_shots_redraw_the_timeline_and_a_total_over_n_frames_shows_before_run(
    frontend: FrontendPage, mode: str, tmp_path: Path
) -> None:
    _open(frontend, mode)
    _load(frontend, _example(), EXAMPLE)
    _type_shot_list(frontend, "10 | A runner at dusk\n\n8 | A neon sign: OPEN | CLOSED")
    shown = _wait_shown(frontend, "t.total === 18")
    assert shown["shots"] == ["1 · 10 s", "2 · 8 s"]
    assert shown["level"] == "over"
    assert shown["summary"] == "⚠ 18 of 15 s · 3 s over"
    assert shown["status"] == [
        "Run will refuse this: choose n_frames 25 (longer clips cost more), or shorten the shots."
    ]
    _screenshot(frontend, tmp_path, mode, "timeline_over")

    frontend.page.evaluate(
        """id => { const w = window.app.graph.getNodeById(id).widgets
                    .find((w) => w.name === 'n_frames');
                   w.value = '25'; w.callback?.('25'); }""",
        STORYBOARD,
    )
    shown = _wait_shown(frontend, "t.level === 'ok'")
    assert shown["summary"] == "18 of 25 s · 7 s left"

    _type_shot_list(frontend, "4 | A harbour\nfour | A gull")
    # Waited for the last keystroke's reading: "four | A g" already totals 4 s.
    shown = _wait_shown(frontend, "t.status[0]?.startsWith('line 2: SECONDS')")
    assert shown["status"] == ["line 2: SECONDS must be 0.1 to 15 s in tenths: Run will refuse it."]
    assert shown["total"] == 4
    assert frontend.all_problems() == []


@pytest.mark.comfyui
@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_workflow_saved_before_shot_list_loads_unchanged_and_runs_its_shot_builders(
    frontend: FrontendPage, browser_sandbox: SandboxThread, mode: str, tmp_path: Path
) -> None:
    saved = json.loads(SAVED_BEFORE_SHOT_LIST.read_text(encoding="utf-8"))
    [board] = [node for node in saved["nodes"] if node["id"] == STORYBOARD]
    assert len(board["widgets_values"]) == 6, "the file is no longer the old workflow"
    _open(frontend, mode)
    _load(frontend, saved, "saved_before_shot_list.json")
    assert frontend.all_problems() == [], "the old workflow did not load clean"
    values = frontend.node_widget_values(STORYBOARD)
    assert {name: values[name] for name in list(values)[:8]} == {
        "aspect_ratio": "landscape",
        "n_frames": "15",
        "is_public": True,
        "seed": 0,
        "control_after_generate": "fixed",
        "profile": "",
        "batch_size": 1,
        "shot_list": "",
    }
    inputs = frontend.graph_to_prompt()[str(STORYBOARD)]["inputs"]
    assert inputs["shots"] == ["3", 0]
    assert inputs["shot_list"] == ""
    assert "shot_timeline" not in inputs
    shown = _shown(frontend)
    assert shown["shots"] == ["1 · 5 s", "2 · 4.5 s", "3 · 5.5 s"]
    assert shown["boundaries"] == 0, "shots of Shot Builders are theirs to change"
    assert shown["status"] == [
        "Shots from the connected Shot Builders (their duration_s sets each length)."
    ]
    _screenshot(frontend, tmp_path, mode, "timeline_shot_builders")

    before = browser_sandbox.call(lambda s: len(s.received.creates))
    entry = frontend.run_as_a_new_take()
    assert entry["status"]["status_str"] == "success", entry["status"]
    [body] = browser_sandbox.call(lambda s: [r.body for r in s.received.creates[before:]])
    assert [shot["duration"] for shot in body["shots"]] == [5, 4.5, 5.5]

    _type_shot_list(frontend, "5 | typed as well")
    shown = _wait_shown(frontend, "t.status[0].startsWith('Both')")
    assert shown["status"][0].endswith("Clear shot_list or disconnect shots.")
