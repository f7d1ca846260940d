"""Invalid graphs inside a real ComfyUI: refused before any request reaches the service."""

from __future__ import annotations

from typing import Any

import pytest
from comfy_host.graphs import (
    fresh_seed,
    load_workflow,
    messages,
    node_problem,
    refused,
    run_prompt,
    shot_builder_chain,
    text_to_preview,
    with_fresh_seeds,
)
from comfy_host.server import ComfyServer, SandboxThread

pytestmark = pytest.mark.comfyui


def _run_failed(
    comfy: ComfyServer, sandbox: SandboxThread, prompt: dict[str, Any], node_id: str
) -> str:
    """The message of a graph that must fail (at queue or run time) with no request sent."""
    before = sandbox.request_counts()
    status, answer = comfy.queue(with_fresh_seeds(prompt))
    if status == 400:
        problem = node_problem(answer["node_errors"], node_id)
    else:
        entry = comfy.wait_history(answer["prompt_id"])
        assert entry["status"]["status_str"] == "error", entry["status"]
        [error] = messages(entry, "execution_error")
        assert error["node_type"] == prompt[node_id]["class_type"]
        problem = str(error["exception_message"])
    assert sandbox.request_counts() == before, "(creates, status calls, downloads) changed"
    return problem


@pytest.mark.parametrize(
    ("inputs", "widget", "fragment"),
    [
        pytest.param({"aspect_ratio": "square"}, "aspect_ratio", "square", id="aspect_ratio"),
        pytest.param({"prompt": ""}, "prompt", "empty", id="empty_prompt"),
        pytest.param({"prompt": " \n "}, "prompt", "empty", id="blank_prompt"),
        pytest.param({"model": "sora-3"}, "model", "sora-3", id="unknown_model"),
        pytest.param({"seed": -1}, "seed", "-1", id="negative_seed"),
    ],
)
def test_a_widget_value_the_service_would_refuse_is_refused_at_queue_time(
    comfy: ComfyServer, sandbox: SandboxThread, inputs: dict[str, Any], widget: str, fragment: str
) -> None:
    problem = node_problem(refused(comfy, sandbox, text_to_preview(**inputs)), "1")
    assert problem.startswith(widget), problem
    assert fragment in problem


def test_an_n_frames_value_not_in_the_combo_is_refused_at_queue_time(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    problem = node_problem(refused(comfy, sandbox, text_to_preview(n_frames="12")), "1")
    assert problem.startswith("n_frames"), problem


def test_an_image_model_without_image_or_image_url_is_refused_at_queue_time(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    problem = node_problem(refused(comfy, sandbox, _image_to_preview()), "2")
    assert problem.startswith("image"), problem


def test_an_image_model_without_image_or_image_url_never_reaches_the_service(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    # aspect_ratio set: with "auto" the message names aspect_ratio instead (see the next test)
    problem = _run_failed(comfy, sandbox, _image_to_preview(aspect_ratio="landscape"), "2")
    assert problem.startswith("image or image_url is required"), problem


def test_an_image_url_with_aspect_ratio_auto_is_sent_as_landscape(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    """`auto` cannot follow an image it does not see: it means landscape, as the tooltip says."""
    before = len(sandbox.call(lambda s: list(s.received.creates)))
    graph = _image_to_preview(image_url="https://example.com/harbour.jpg", aspect_ratio="auto")
    status, answer = comfy.queue(graph)
    assert status == 200, answer
    entry = comfy.wait_history(answer["prompt_id"])
    failures = [error["exception_message"] for error in messages(entry, "execution_error")]
    assert entry["status"]["status_str"] == "success", failures
    creates = sandbox.call(lambda s: [c.body for c in s.received.creates])
    assert len(creates) == before + 1
    assert creates[-1]["aspectRatio"] == "landscape"
    assert creates[-1]["imageUrl"] == "https://example.com/harbour.jpg"
    assert "imageData" not in creates[-1]


def _image_to_preview(**inputs: Any) -> dict[str, Any]:
    """Image to Video with no image connected, its task ids going to PreviewAny."""
    image = load_workflow("image_to_video.json")["2"]
    del image["inputs"]["image"]
    image["inputs"].update({"seed": fresh_seed(), **inputs})
    return {"2": image, "9": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}}}


def test_shots_longer_than_the_longest_storyboard_fail_before_any_request(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    """Linked shots arrive as None in validate_inputs; the prompt hook reads their Shot Builders'
    durations, so it fails at queue time (or, with durations linked, when the graph runs)."""
    problem = _run_failed(
        comfy, sandbox, with_fresh_seeds(shot_builder_chain([15, 6, 6], "15")), "4"
    )
    assert "27" in problem, problem
    assert "25" in problem, problem


def test_shots_longer_than_n_frames_are_refused_at_queue_time_never_sent_longer(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    """18 s of shots with n_frames 15 are refused, never sent as nFrames 25 (dearer than the
    badge said): an offered length the user chose is never raised."""
    problem = node_problem(refused(comfy, sandbox, shot_builder_chain([6, 6, 6], "15")), "4")
    assert "choose n_frames 25" in problem, problem


@pytest.mark.parametrize(
    ("model", "absent"),
    [
        ("sora-2-text-to-video", {"size"}),
        ("sora-2-text-to-video-stable", {"size", "removeWatermark"}),
    ],
)
def test_a_pro_only_size_on_another_model_is_dropped_not_refused(
    comfy: ComfyServer, sandbox: SandboxThread, model: str, absent: set[str]
) -> None:
    before = sandbox.request_counts()[0]
    graph = text_to_preview(model=model, size="high", remove_watermark=True)
    entry = run_prompt(comfy, graph)
    assert entry["status"]["status_str"] == "success", entry["status"]
    [body] = sandbox.call(lambda s: [r.body for r in s.received.creates[before:]])
    assert body["model"] == model
    assert not absent & body.keys(), body.keys()
    assert body.get("removeWatermark", True) is True
