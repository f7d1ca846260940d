"""A finished run as a user sees it: the Text to Video example queued in the real frontend
against the sandbox, Save Video showing the downloaded video's frame on the node.

FREESORA_SAVE_SCREENSHOTS=1 saves the picture as docs/images/finished_run.png (the README's).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser_host import EXAMPLES, REPO_ROOT, FrontendPage
from web_host import saving_pictures

EXAMPLE = "freesora_text_to_video.json"
# Whether the <video> showing `filename` has decoded a frame (HAVE_CURRENT_DATA, a real size).
FRAME_SHOWN = """name => [...document.querySelectorAll('video')].some(v =>
    decodeURIComponent(v.currentSrc || v.src || '').includes(name)
    && v.readyState >= 2 && v.videoWidth > 0 && v.getClientRects().length > 0)"""


def _picture_path(tmp_path: Path) -> Path:
    if saving_pictures():
        return REPO_ROOT / "docs" / "images" / "finished_run.png"
    return tmp_path / "finished_run.png"


@pytest.mark.comfyui
def test_the_text_to_video_example_finishes_with_its_video_frame_on_save_video(
    frontend: FrontendPage, tmp_path: Path
) -> None:
    frontend.open(vue_nodes=False)
    frontend.set_setting("Comfy.Minimap.Visible", False)  # it would cover the graph
    frontend.set_setting("Comfy.Graph.CanvasInfo", False)
    frontend.set_setting("LiteGraph.Canvas.MinFontSizeForLOD", 1)  # text even when zoomed out
    workflow = json.loads((EXAMPLES / EXAMPLE).read_text(encoding="utf-8"))
    frontend.load_ui_workflow(workflow, EXAMPLE)
    frontend.problems.clear()
    entry = frontend.run_as_a_new_take()
    assert entry["status"]["status_str"] == "success", entry["status"]
    [save] = [str(n["id"]) for n in workflow["nodes"] if n["type"] == "SaveVideo"]
    [saved] = entry["outputs"][save]["images"]
    assert saved["filename"].endswith(".mp4"), saved

    frontend.page.wait_for_function(FRAME_SHOWN, arg=saved["filename"], timeout=30_000)
    # The same frame in every picture: paused at its start (the sandbox clip counts time on it).
    frontend.page.evaluate(
        """name => [...document.querySelectorAll('video')].forEach(v => {
            if (decodeURIComponent(v.currentSrc || v.src).includes(name)) {
                v.pause(); v.currentTime = 0; } })""",
        saved["filename"],
    )
    frontend.settle(500)
    assert frontend.page.evaluate(FRAME_SHOWN, saved["filename"]), "the frame went away"
    assert frontend.all_problems() == [], "the run raised a warning"
    picture = _picture_path(tmp_path)
    frontend.screenshot_graph(picture)
    assert picture.stat().st_size > 10_000  # a picture, not an empty clip
