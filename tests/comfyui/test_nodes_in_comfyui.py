"""The pack inside a real ComfyUI: registration, the exact requests each workflow sends, errors."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from comfy_host.graphs import (
    SAMPLE_MP4,
    WORKFLOWS,
    assert_sample_videos_saved,
    creation_node_count,
    journal_file,
    load_workflow,
    messages,
    run_prompt,
)
from comfy_host.hosts import Host
from comfy_host.server import ComfyServer, SandboxThread
from PIL import Image

pytestmark = pytest.mark.comfyui

EXPECTED_OUTPUTS = {
    "FreeSoraTextToVideo": ["task_id"],
    "FreeSoraImageToVideo": ["task_id"],
    "FreeSoraShotBuilder": ["shots"],
    "FreeSoraStoryboard": ["task_id"],
    "FreeSoraVideoResult": ["video", "video_url", "status"],
    "FreeSoraTaskHistory": ["task_ids"],
}
MAX_IMAGE_BYTES = 10 * 1024 * 1024


@pytest.mark.parametrize("node_id", sorted(EXPECTED_OUTPUTS))
def test_every_node_is_listed_in_category_freesora_with_a_tooltip_on_every_input(
    comfy: ComfyServer, node_id: str
) -> None:
    info = comfy.object_info(node_id)
    assert info["category"] == "FreeSora"
    assert info["output_name"] == EXPECTED_OUTPUTS[node_id]
    inputs = {**info["input"]["required"], **info["input"].get("optional", {})}
    assert inputs, f"{node_id} lists no inputs"
    missing = [name for name, spec in inputs.items() if not (spec[1] or {}).get("tooltip")]
    assert not missing, f"{node_id}: inputs without a tooltip: {missing}"


def test_the_image_node_outputs_a_list_of_task_ids(comfy: ComfyServer) -> None:
    assert comfy.object_info("FreeSoraImageToVideo")["output_is_list"] == [True]


def _canonical(value: Any) -> str:
    """JSON text with sorted keys: 5 and 5.0 or "10" and 10 compare as different."""
    return json.dumps(value, sort_keys=True)


def _expected_text(wf: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": "sora-2-pro-text-to-video",
        "prompt": wf["1"]["inputs"]["prompt"],
        "aspectRatio": "landscape",
        "nFrames": "10",
        "size": "standard",
        "removeWatermark": True,
        "isPublic": True,
    }


def _expected_image(wf: dict[str, Any]) -> dict[str, Any]:
    # No size (not a Pro model), no imageUrl (an image is connected); imageData checked apart.
    return {
        "model": "sora-2-image-to-video",
        "prompt": wf["2"]["inputs"]["prompt"],
        "aspectRatio": "landscape",  # "auto" on the 1280x720 picture the graph builds
        "nFrames": "10",
        "removeWatermark": True,
        "isPublic": True,
    }


def _expected_storyboard(wf: dict[str, Any]) -> dict[str, Any]:
    # No prompt, no size, no removeWatermark; the shot_list's lines as shots, Scene capitalised,
    # whole durations as integers.
    assert wf["4"]["inputs"]["shot_list"].startswith("5 | Establishing shot: a quiet harbour")
    return {
        "model": "sora-2-pro-storyboard",
        "aspectRatio": "landscape",
        "nFrames": "15",
        "isPublic": True,
        "shots": [
            {
                "Scene": "Establishing shot: a quiet harbour at dawn, mist over the water",
                "duration": 5,
            },
            {"Scene": "A gull lands on a wooden mooring post, close-up", "duration": 4.5},
            {"Scene": "Waves slap against a fishing boat's hull as the sun rises", "duration": 5.5},
        ],
    }


EXPECTED_BODIES = {
    "text_to_video.json": _expected_text,
    "image_to_video.json": _expected_image,
    "storyboard.json": _expected_storyboard,
}


def _check_image_data(data_url: str, aspect_ratio: str) -> None:
    header, _, payload = data_url.partition(",")
    assert header in ("data:image/jpeg;base64", "data:image/png;base64", "data:image/webp;base64")
    raw = base64.b64decode(payload, validate=True)
    assert len(raw) <= MAX_IMAGE_BYTES
    with Image.open(io.BytesIO(raw)) as picture:
        picture.load()
        width, height = picture.size
    assert (width > height) == (aspect_ratio == "landscape"), (width, height, aspect_ratio)
    assert abs(max(width, height) / min(width, height) - 16 / 9) < 0.02, "not fitted to 16:9"


@pytest.mark.parametrize("name", sorted(path.name for path in WORKFLOWS.glob("*.json")))
def test_each_workflow_sends_exactly_the_service_spelling_and_saves_the_sample_video(
    comfy: ComfyServer, sandbox: SandboxThread, name: str
) -> None:
    assert name in EXPECTED_BODIES, f"no expected request written down for {name}"
    workflow = load_workflow(name)
    before = sandbox.call(lambda s: (len(s.received.creates), len(s.tasks)))
    entry = run_prompt(comfy, workflow)
    assert entry["status"]["status_str"] == "success", entry["status"]
    bodies, task_ids = sandbox.call(
        lambda s: ([r.body for r in s.received.creates[before[0] :]], list(s.tasks)[before[1] :])
    )
    assert len(bodies) == len(task_ids) == creation_node_count(workflow) == 1
    body = dict(bodies[0])  # a copy: the sandbox's record stays as received
    assert isinstance(body["nFrames"], str)
    assert not {"imageData", "imageUrl"} <= body.keys(), "never both imageData and imageUrl"
    image_data = body.pop("imageData", None)
    assert _canonical(body) == _canonical(EXPECTED_BODIES[name](workflow))
    if name == "image_to_video.json":
        assert image_data is not None, "the connected image was not sent as imageData"
        _check_image_data(image_data, body["aspectRatio"])
    else:
        assert image_data is None
    assert_sample_videos_saved(comfy, entry, count=1)
    [downloaded] = (comfy.base_dir / "output" / "freesora").glob(f"*{task_ids[0]}*.mp4")
    assert downloaded.read_bytes() == SAMPLE_MP4.read_bytes(), "the download is not byte-exact"


def test_a_refusal_by_the_service_is_the_nodes_error_message(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    said = "Insufficient credits: this task costs 20, balance is 3 (injected)"
    sandbox.call(lambda s: s.faults.add("create", "code", code=402, message=said))
    before = sandbox.call(lambda s: (len(s.received.creates), len(s.tasks)))
    entry = run_prompt(comfy, load_workflow("text_to_video.json"))
    assert entry["status"]["status_str"] == "error"
    [error] = messages(entry, "execution_error")
    assert error["node_type"] == "FreeSoraTextToVideo"
    assert said in error["exception_message"]
    assert "credits" in error["exception_message"].replace(said, "")
    after = sandbox.call(lambda s: (len(s.received.creates), len(s.tasks)))
    assert after == (before[0] + 1, before[1]), "a refused create must be sent once, not resent"


def test_a_wrong_key_in_a_profile_is_reported_as_a_key_problem(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    """The profile widget picks another key from the config file; a refused key says so."""
    wrong = "sk-wrong-profile-key-0000"
    config = {"profiles": {"other": {"api_key": wrong, "base_url": sandbox.base_url}}}
    (comfy.base_dir / "freesora-config.json").write_text(json.dumps(config), encoding="utf-8")
    graph = load_workflow("text_to_video.json")
    graph["1"]["inputs"]["profile"] = "other"
    before = sandbox.call(lambda s: len(s.tasks))
    try:
        entry = run_prompt(comfy, graph)
    finally:
        (comfy.base_dir / "freesora-config.json").unlink()
    [error] = messages(entry, "execution_error")
    assert "refused the API key" in error["exception_message"]
    assert "FREESORA_API_KEY" in error["exception_message"]
    assert wrong not in json.dumps(entry)
    assert sandbox.call(lambda s: len(s.tasks)) == before


def test_an_unknown_profile_is_refused_at_queue_time(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    graph = load_workflow("text_to_video.json")
    graph["1"]["inputs"]["profile"] = "nobody"
    status, answer = comfy.queue(graph)
    assert status == 400
    assert "profile" in json.dumps(answer["node_errors"])


def test_create_only_prompts_are_collected_later_through_the_task_history(
    comfy: ComfyServer, sandbox: SandboxThread, host: Host
) -> None:
    """Queue creates without waiting, then one history graph collects every unfinished task."""
    created = []
    for take in range(2):
        graph = load_workflow("text_to_video.json")
        graph["1"]["inputs"]["prompt"] = f"A lighthouse at night, take {take}"
        only_create = {
            "1": graph["1"],
            "9": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        }
        entry = run_prompt(comfy, only_create)
        assert entry["status"]["status_str"] == "success"
        created.append(entry["outputs"]["9"]["text"][0])
    collect = {
        "1": {
            "class_type": "FreeSoraTaskHistory",
            "inputs": {"limit": 2, "only_unfinished": True, "model": "sora-2-pro-text-to-video"},
        },
        "2": load_workflow("text_to_video.json")["2"],
        "3": load_workflow("text_to_video.json")["3"],
    }
    entry = run_prompt(comfy, collect)
    assert entry["status"]["status_str"] == "success", messages(entry, "execution_error")
    collected = " ".join(entry["outputs"]["2"]["text"])
    for task_id in created:
        assert task_id in collected
    assert len(entry["outputs"]["3"]["images"]) == 2
    journal = journal_file(comfy, host.comfy_dir).read_text(encoding="utf-8")
    finished = [json.loads(line) for line in journal.splitlines() if '"finished"' in line]
    assert {e["task_id"] for e in finished} >= set(created)


def test_a_profile_without_a_key_stops_before_any_request_saying_where_to_set_it(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    config = {"profiles": {"keyless": {"base_url": sandbox.base_url}}}
    (comfy.base_dir / "freesora-config.json").write_text(json.dumps(config), encoding="utf-8")
    graph = load_workflow("text_to_video.json")
    graph["1"]["inputs"]["profile"] = "keyless"
    before = sandbox.call(lambda s: len(s.received.creates))
    try:
        entry = run_prompt(comfy, graph)
    finally:
        (comfy.base_dir / "freesora-config.json").unlink()
    [error] = messages(entry, "execution_error")
    assert "No FreeSora API key is set" in error["exception_message"]
    assert "FREESORA_API_KEY" in error["exception_message"]
    assert "run_freesora.py key set" in error["exception_message"]
    assert sandbox.call(lambda s: len(s.received.creates)) == before
