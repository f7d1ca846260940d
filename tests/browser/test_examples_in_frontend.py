"""Every example in the host's real frontend, classic canvas and Nodes 2.0: loads with no toast,
warning or error, converts to its API twin, runs; a fresh creation node's seed stays fixed.

FREESORA_SCREENSHOTS=docs/images also saves a picture of each loaded example (README).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from browser_host import EXAMPLES, FrontendPage, frontend_version
from comfy_host.graphs import WORKFLOWS as API_TWINS

MODES = {"canvas": False, "nodes2": True}
# Example file -> its API twin, the format the tests in tests/comfyui queue headless.
TWINS = {
    "freesora_text_to_video.json": "text_to_video.json",
    "freesora_image_to_video.json": "image_to_video.json",
    "freesora_storyboard.json": "storyboard.json",
}
CREATION_NODES = ("FreeSoraTextToVideo", "FreeSoraImageToVideo", "FreeSoraStoryboard")


def _open(frontend: FrontendPage, mode: str) -> None:
    frontend.open(vue_nodes=MODES[mode])
    if MODES[mode] and not frontend.has_vue_nodes():
        pytest.skip(f"frontend {frontend_version(frontend)} has no Nodes 2.0 (Vue nodes) mode")
    frontend.problems.clear()


def _load(frontend: FrontendPage, name: str) -> dict[str, Any]:
    workflow = dict(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
    frontend.load_ui_workflow(workflow, name)
    return workflow


def _plain(prompt: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {"class_type": n["class_type"], "inputs": n["inputs"]} for key, n in prompt.items()
    }


def test_every_example_has_an_api_twin() -> None:
    assert sorted(path.name for path in EXAMPLES.glob("*.json")) == sorted(TWINS)


@pytest.mark.comfyui
@pytest.mark.parametrize("name", sorted(TWINS))
@pytest.mark.parametrize("mode", sorted(MODES))
def test_each_example_loads_clean_converts_to_its_twin_and_runs(
    frontend: FrontendPage, mode: str, name: str
) -> None:
    _open(frontend, mode)
    _load(frontend, name)
    assert frontend.all_problems() == [], f"{name} did not load clean in {mode}"
    if MODES[mode]:
        assert frontend.vue_node_count() > 0, "Nodes 2.0 is on but no node is drawn by it"
    twin = json.loads((API_TWINS / TWINS[name]).read_text(encoding="utf-8"))
    assert _plain(frontend.graph_to_prompt()) == twin
    _save_screenshot(frontend, name, mode)
    entry = frontend.run_as_a_new_take()
    assert entry["status"]["status_str"] == "success", entry["status"]
    [save] = [key for key, node in twin.items() if node["class_type"] == "SaveVideo"]
    assert entry["outputs"][save]["images"], "Save Video saved nothing"
    assert frontend.all_problems() == [], f"running {name} raised a warning"


def _save_screenshot(frontend: FrontendPage, name: str, mode: str) -> None:
    folder = os.environ.get("FREESORA_SCREENSHOTS")
    if not folder:
        return
    frontend.set_setting("Comfy.Minimap.Visible", False)  # it would cover the graph
    frontend.set_setting("Comfy.Graph.CanvasInfo", False)
    frontend.set_setting("LiteGraph.Canvas.MinFontSizeForLOD", 1)  # text even when zoomed out
    stem = name.removeprefix("freesora_").removesuffix(".json")
    suffix = "" if mode == "canvas" else "_nodes2"
    frontend.screenshot_graph(Path(folder) / f"{stem}{suffix}.png")


@pytest.mark.comfyui
@pytest.mark.parametrize("node_type", CREATION_NODES)
@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_freshly_added_creation_node_starts_with_its_seed_control_fixed(
    frontend: FrontendPage, mode: str, node_type: str
) -> None:
    _open(frontend, mode)
    frontend.run_command("Comfy.NewBlankWorkflow")  # away from the core's default graph
    values = frontend.add_node(node_type)
    assert values["control_after_generate"] == "fixed"
    assert frontend.all_problems() == []


@pytest.mark.comfyui
@pytest.mark.parametrize("saved", ["randomize", "increment"])
def test_a_saved_workflow_keeps_the_seed_control_it_was_saved_with(
    frontend: FrontendPage, saved: str
) -> None:
    _open(frontend, "canvas")
    workflow = json.loads((EXAMPLES / "freesora_text_to_video.json").read_text(encoding="utf-8"))
    [node] = [n for n in workflow["nodes"] if n["type"] == "FreeSoraTextToVideo"]
    node["widgets_values"][node["widgets_values"].index("fixed")] = saved
    frontend.load_ui_workflow(workflow, "saved.json")
    assert frontend.node_widget_values(node["id"])["control_after_generate"] == saved


@pytest.mark.comfyui
def test_these_checks_see_the_warning_a_missing_load_image_file_gives(
    frontend: FrontendPage,
) -> None:
    """The detector itself: the former example (a LoadImage of a file users lack) must trip it."""
    _open(frontend, "canvas")
    version = tuple(int(part) for part in frontend_version(frontend).split(".")[:2])
    if version < (1, 45):
        pytest.skip("frontends before 1.45 say nothing about a missing LoadImage file on load")
    workflow = json.loads((EXAMPLES / "freesora_image_to_video.json").read_text(encoding="utf-8"))
    picture = next(n for n in workflow["nodes"] if n["type"] == "ImageCompositeMasked")
    picture.update(type="LoadImage", widgets_values=["example.png", "image"], inputs=[])
    picture["outputs"].append({"name": "MASK", "type": "MASK", "links": None})
    workflow["links"] = [link for link in workflow["links"] if link[3] != picture["id"]]
    for node in workflow["nodes"]:
        for slot in node.get("outputs", []):
            if slot.get("links"):
                slot["links"] = [
                    link for link in slot["links"] if any(k[0] == link for k in workflow["links"])
                ]
    frontend.load_ui_workflow(workflow, "missing_image.json")
    assert frontend.all_problems(), "a missing media file went unnoticed: the checks are blind"
