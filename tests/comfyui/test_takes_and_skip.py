"""Takes and failures in a real ComfyUI: batch_size makes N videos; on_error skip saves the rest."""

from __future__ import annotations

import base64
import io
import re
import time
from typing import Any

import pytest
from comfy_host.graphs import (
    assert_sample_videos_saved,
    fresh_seed,
    load_workflow,
    messages,
    run_prompt,
    saved_videos,
)
from comfy_host.server import ComfyServer, SandboxThread
from PIL import Image

pytestmark = pytest.mark.comfyui

TASK_ID = r"[A-Za-z0-9][A-Za-z0-9_\-]*"
COLOURS = (0xFF0000, 0x00FF00, 0x0000FF, 0xFFFF00)


def _takes(batch_size: int, seed: int) -> dict[str, Any]:
    graph = load_workflow("text_to_video.json")
    graph["1"]["inputs"].update(batch_size=batch_size, seed=seed)
    return graph


def _four_images(on_error: str) -> dict[str, Any]:
    """Four solid frames batched -> Image to Video -> Video Result(on_error) -> SaveVideo, and
    the status output shown by PreviewAny."""
    graph: dict[str, Any] = {}
    for index, colour in enumerate(COLOURS, start=1):
        size = {"width": 640, "height": 360, "batch_size": 1, "color": colour}
        graph[str(index)] = {"class_type": "EmptyImage", "inputs": size}
    graph["5"] = {"class_type": "ImageBatch", "inputs": {"image1": ["1", 0], "image2": ["2", 0]}}
    graph["6"] = {"class_type": "ImageBatch", "inputs": {"image1": ["5", 0], "image2": ["3", 0]}}
    graph["7"] = {"class_type": "ImageBatch", "inputs": {"image1": ["6", 0], "image2": ["4", 0]}}
    flow = load_workflow("image_to_video.json")
    flow["2"]["inputs"].update(image=["7", 0], seed=fresh_seed())
    flow["3"]["inputs"].update(task_id=["8", 0], on_error=on_error)
    flow["4"]["inputs"]["video"] = ["9", 0]
    graph.update({"8": flow["2"], "9": flow["3"], "10": flow["4"]})
    graph["11"] = {"class_type": "PreviewAny", "inputs": {"source": ["9", 2]}}
    return graph


def _run_as_is(comfy: ComfyServer, prompt: dict[str, Any]) -> dict[str, Any]:
    """Queue a prompt keeping its seeds (run_prompt gives every run fresh ones)."""
    status, answer = comfy.queue(prompt)
    assert status == 200, answer
    return comfy.wait_history(answer["prompt_id"], timeout_s=60)


def _new_tasks(sandbox: SandboxThread, before: int) -> list[tuple[str, str]]:
    """(task id, outcome status) of the tasks created since `before`."""
    return sandbox.call(
        lambda s: [(t.task_id, t.outcome.status) for t in list(s.tasks.values())[before:]]
    )


def test_batch_size_four_creates_four_takes_saves_four_videos_and_a_rerun_reuses_all_four(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    seed = fresh_seed()
    before = sandbox.call(lambda s: s.tasks_created)
    entry = _run_as_is(comfy, _takes(4, seed))
    assert entry["status"]["status_str"] == "success", messages(entry, "execution_error")
    created = [task for task, _ in _new_tasks(sandbox, before)]
    assert len(created) == 4
    [face] = entry["outputs"]["1"]["text"]
    assert face.startswith("4 takes of: sora-2-pro-text-to-video"), face
    takes = re.findall(rf"take (\d): created task ({TASK_ID})", face)
    assert [n for n, _ in takes] == ["1", "2", "3", "4"]
    assert sorted(t for _, t in takes) == sorted(created)
    assert_sample_videos_saved(comfy, entry, count=4)
    # Another prompt in between evicts the cached node, so the same graph really runs again.
    run_prompt(comfy, _takes(1, fresh_seed()))
    between = sandbox.call(lambda s: s.tasks_created)
    again = _run_as_is(comfy, _takes(4, seed))
    assert again["status"]["status_str"] == "success", messages(again, "execution_error")
    assert sandbox.call(lambda s: s.tasks_created) == between, "a re-run created new tasks"
    [face] = again["outputs"]["1"]["text"]
    reused = re.findall(rf"take \d: reused task ({TASK_ID}) \(no credits spent\)", face)
    assert reused == [t for _, t in takes]
    assert_sample_videos_saved(comfy, again, count=4)


def test_a_storyboard_with_batch_size_two_makes_two_tasks_of_the_same_shots_and_two_videos(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    graph = load_workflow("storyboard.json")
    graph["4"]["inputs"]["batch_size"] = 2
    before = sandbox.call(lambda s: len(s.received.creates))
    entry = run_prompt(comfy, graph)
    assert entry["status"]["status_str"] == "success", messages(entry, "execution_error")
    bodies = sandbox.call(lambda s: [r.body for r in s.received.creates[before:]])
    assert len(bodies) == 2
    assert bodies[0] == bodies[1], "takes are the same request"
    assert bodies[0]["model"] == "sora-2-pro-storyboard"
    assert_sample_videos_saved(comfy, entry, count=2)


def test_on_error_skip_saves_the_three_good_videos_and_names_the_failed_task(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    before = sandbox.call(lambda s: s.tasks_created)
    sandbox.call(lambda s: s.fail_create(before + 2))
    entry = run_prompt(comfy, _four_images("skip"))
    assert entry["status"]["status_str"] == "success", messages(entry, "execution_error")
    assert not messages(entry, "execution_error")
    tasks = _new_tasks(sandbox, before)
    [failed] = [task for task, outcome in tasks if outcome == "failed"]
    assert len(tasks) == 4
    assert_sample_videos_saved(comfy, entry, count=3)
    face = "\n".join(entry["outputs"]["9"]["text"])
    assert f"failed: Task {failed} failed:" in face
    assert "(credits were refunded)" in face
    assert face.count(": succeeded, video of") == 3
    statuses = entry["outputs"]["11"]["text"]
    assert sorted(s.split(":")[0] for s in statuses) == [
        "failed",
        "succeeded",
        "succeeded",
        "succeeded",
    ]
    [status] = [s for s in statuses if s.startswith("failed")]
    assert failed in status
    assert "told to fail" in status
    assert "credits were refunded" in status


def test_on_error_raise_fails_the_prompt_naming_the_failed_tasks_and_reasons(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    before = sandbox.call(lambda s: s.tasks_created)
    sandbox.call(lambda s: (s.fail_create(before + 1), s.fail_create(before + 3)))
    entry = run_prompt(comfy, _four_images("raise"))
    assert entry["status"]["status_str"] == "error"
    [error] = messages(entry, "execution_error")
    assert error["node_type"] == "FreeSoraVideoResult"
    failed = [task for task, outcome in _new_tasks(sandbox, before) if outcome == "failed"]
    assert len(failed) == 2
    text = error["exception_message"]
    assert text.startswith("2 of 4 tasks gave no video"), text
    for task in failed:
        assert f"Task {task} failed: Generation failed: this task was told to fail" in text
    assert "Traceback" not in text
    assert saved_videos(comfy, entry) == []


def test_eight_takes_finish_in_about_the_time_of_one(
    comfy: ComfyServer, sandbox: SandboxThread, capsys: pytest.CaptureFixture[str]
) -> None:
    """Prints the wall-time figure for the README (never a timed assertion)."""
    walls = {}
    for count in (1, 8, 1, 8):
        started = time.monotonic()
        entry = run_prompt(comfy, _takes(count, fresh_seed()), timeout_s=120)
        walls.setdefault(count, []).append(time.monotonic() - started)
        assert entry["status"]["status_str"] == "success", messages(entry, "execution_error")
        assert len(saved_videos(comfy, entry)) == count
    one, eight = min(walls[1]), min(walls[8])
    with capsys.disabled():
        print(
            f"\nreal ComfyUI: 1 take -> 1 saved video {one:.2f} s; 8 takes -> 8 saved videos "
            f"{eight:.2f} s; ratio {eight / one:.2f}x "
            f"(sandbox tasks take {sandbox_task_seconds(sandbox):g} s)"
        )


def sandbox_task_seconds(sandbox: SandboxThread) -> float:
    return float(sandbox.call(lambda s: s.state.task_seconds))


def _queue_refused(comfy: ComfyServer, sandbox: SandboxThread, prompt: dict[str, Any]) -> str:
    """The node errors' text of a graph /prompt must refuse, with no request sent."""
    before = sandbox.request_counts()
    status, answer = comfy.queue(prompt)
    if status == 200:
        comfy.wait_history(answer["prompt_id"])
    assert status == 400, f"/prompt accepted the graph: {answer}"
    assert sandbox.request_counts() == before
    return str(answer["node_errors"])


@pytest.mark.parametrize("batch_size", [0, 9])
def test_a_batch_size_outside_1_to_8_is_refused_at_queue_time(
    comfy: ComfyServer, sandbox: SandboxThread, batch_size: int
) -> None:
    errors = _queue_refused(comfy, sandbox, _takes(batch_size, fresh_seed()))
    assert f"batch_size must be 1 to 8, got {batch_size}" in errors


def test_an_unknown_on_error_is_refused_at_queue_time(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    graph = load_workflow("text_to_video.json")
    graph["2"]["inputs"]["on_error"] = "ignore"
    errors = _queue_refused(comfy, sandbox, graph)
    assert "on_error must be one of raise, skip; got 'ignore'" in errors


def test_a_pasted_task_id_is_still_checked_at_queue_time(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    graph = load_workflow("text_to_video.json")
    graph["2"]["inputs"]["task_id"] = "not an id!"
    del graph["1"]
    errors = _queue_refused(comfy, sandbox, graph)
    assert "task_id must be the id printed when the task was created" in errors


def test_a_4k_image_goes_out_at_the_models_720p_frame_and_the_node_says_so(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    flow = load_workflow("image_to_video.json")
    size = {"width": 3840, "height": 2160, "batch_size": 1, "color": 0x336699}
    graph = {
        "1": {"class_type": "EmptyImage", "inputs": size},
        "2": {**flow["2"], "inputs": {**flow["2"]["inputs"], "image": ["1", 0]}},
        "9": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    }
    before = sandbox.call(lambda s: len(s.received.creates))
    entry = run_prompt(comfy, graph)
    assert entry["status"]["status_str"] == "success", messages(entry, "execution_error")
    [body] = sandbox.call(lambda s: [r.body for r in s.received.creates[before:]])
    raw = base64.b64decode(body["imageData"].partition(",")[2])
    with Image.open(io.BytesIO(raw)) as sent:
        assert sent.size == (1280, 720)
    [face] = entry["outputs"]["2"]["text"]
    assert re.search(
        r"JPEG 1280x720, \d+ KB, q=98, scaled down from 3840x2160 \(crop to 16:9\)", face
    )
