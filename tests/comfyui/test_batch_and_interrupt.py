"""Lists and Cancel inside a real ComfyUI: an IMAGE batch fans out in order; Cancel stops waits."""

from __future__ import annotations

import base64
import io
import re
import time
from typing import Any

import pytest
from comfy_host.graphs import (
    TASK_SECONDS,
    assert_sample_videos_saved,
    load_workflow,
    messages,
    run_prompt,
    with_fresh_seeds,
)
from comfy_host.server import POLL_S, ComfyServer, SandboxThread
from PIL import Image

pytestmark = pytest.mark.comfyui

COLOURS = {"red": 0xFF0000, "green": 0x00FF00, "blue": 0x0000FF}
TASK_ID = r"[A-Za-z0-9][A-Za-z0-9_\-]*"


def _colour_batch_to_video() -> dict[str, Any]:
    """Three solid 640x360 frames (red, green, blue) batched into one IMAGE -> video -> save."""
    graph: dict[str, Any] = {}
    for index, colour in enumerate(COLOURS.values(), start=1):
        size = {"width": 640, "height": 360, "batch_size": 1, "color": colour}
        graph[str(index)] = {"class_type": "EmptyImage", "inputs": size}
    graph["4"] = {"class_type": "ImageBatch", "inputs": {"image1": ["1", 0], "image2": ["2", 0]}}
    graph["5"] = {"class_type": "ImageBatch", "inputs": {"image1": ["4", 0], "image2": ["3", 0]}}
    image = load_workflow("image_to_video.json")
    image["2"]["inputs"]["image"] = ["5", 0]
    image["3"]["inputs"]["task_id"] = ["6", 0]
    image["4"]["inputs"]["video"] = ["7", 0]
    graph.update({"6": image["2"], "7": image["3"], "8": image["4"]})
    return graph


def _colour_of(data_url: str) -> str:
    raw = base64.b64decode(data_url.partition(",")[2])
    with Image.open(io.BytesIO(raw)) as picture:
        centre = (picture.width // 2, picture.height // 2)
        red, green, blue = picture.convert("RGB").getpixel(centre)
    strongest = max(("red", red), ("green", green), ("blue", blue), key=lambda pair: pair[1])
    return strongest[0]


def test_an_image_batch_of_three_creates_three_tasks_and_three_videos_in_batch_order(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    for core_node in ("EmptyImage", "ImageBatch", "SaveVideo"):
        comfy.object_info(core_node)
    before = sandbox.call(lambda s: (len(s.received.creates), len(s.tasks)))
    entry = run_prompt(comfy, _colour_batch_to_video())
    assert entry["status"]["status_str"] == "success", messages(entry, "execution_error")
    bodies, task_ids = sandbox.call(
        lambda s: ([r.body for r in s.received.creates[before[0] :]], list(s.tasks)[before[1] :])
    )
    assert len(bodies) == len(task_ids) == 3
    # The sandbox makes a task the moment a create arrives: i-th create -> i-th task.
    task_of = {_colour_of(b["imageData"]): task for b, task in zip(bodies, task_ids, strict=True)}
    assert sorted(task_of) == sorted(COLOURS), "each frame of the batch is sent once"
    in_batch_order = [task_of[colour] for colour in COLOURS]
    [created] = entry["outputs"]["6"]["text"]
    assert re.findall(rf"created task ({TASK_ID})", created) == in_batch_order
    # One Video Result run waits for the whole list: one line per task, in list order.
    collected = "\n".join(entry["outputs"]["7"]["text"])
    assert re.findall(rf"task ({TASK_ID}): succeeded", collected) == in_batch_order
    assert_sample_videos_saved(comfy, entry, count=3)


def _wait_until(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(POLL_S / 2)


def test_cancel_stops_the_wait_for_a_task_within_seconds_as_an_interruption(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    creates, statuses, downloads = sandbox.request_counts()
    sandbox.call(lambda s: setattr(s.state, "task_seconds", 3600.0))
    try:
        status, answer = comfy.queue(with_fresh_seeds(load_workflow("text_to_video.json")))
        assert status == 200, answer
        _wait_until(lambda: sandbox.request_counts()[0] > creates, 30, "the task to be created")
        # Let the result node start polling, so Cancel reaches a wait, not the queue.
        _wait_until(lambda: sandbox.request_counts()[1] > statuses, 30, "a status check")
        interrupted_at = time.monotonic()
        comfy.interrupt()
        entry = comfy.wait_history(answer["prompt_id"], timeout_s=30)
        took_s = time.monotonic() - interrupted_at
    finally:
        sandbox.call(lambda s: setattr(s.state, "task_seconds", TASK_SECONDS))
    assert took_s < 3.0, f"the prompt ended {took_s:.1f} s after /interrupt"
    assert entry["status"]["status_str"] == "error"
    assert messages(entry, "execution_interrupted"), entry["status"]["messages"]
    assert not messages(entry, "execution_error"), messages(entry, "execution_error")
    assert sandbox.request_counts()[0] == creates + 1
    assert sandbox.request_counts()[2] == downloads, "an unfinished task was downloaded"
