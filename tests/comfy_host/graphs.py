"""Constants and graph helpers shared by the tests inside a real ComfyUI and the browser checks:
the API-format graphs in `workflows/` (twins of example_workflows/), queued and read back."""

from __future__ import annotations

import copy
import itertools
import json
import random
from pathlib import Path
from typing import Any

from .server import ComfyServer, SandboxThread

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = Path(__file__).resolve().parent / "workflows"
SAMPLE_MP4 = REPO_ROOT / "sandbox" / "assets" / "sample.mp4"
PACK_ENTRY = "freesora-nodes.dev"  # '-' and '.' on purpose: ComfyUI must cope with both
CANARY_KEY = "sk-sandbox-CANARY-7f3a9c"
CREATION_NODES = ("FreeSoraTextToVideo", "FreeSoraImageToVideo", "FreeSoraStoryboard")
TASK_SECONDS = 2.0
# A task journaled where older cores keep the journal, seeded before ComfyUI starts.
OLD_CORE_TASK = "old-core-task-0001"
_SEEDS = itertools.count(random.randrange(1, 2**30))


def load_workflow(name: str) -> dict[str, Any]:
    return dict(json.loads((WORKFLOWS / name).read_text(encoding="utf-8")))


def fresh_seed() -> int:
    return next(_SEEDS)


def with_fresh_seeds(prompt: dict[str, Any]) -> dict[str, Any]:
    """A copy whose seeded nodes differ from every earlier run, so the cache cannot skip them."""
    fresh = copy.deepcopy(prompt)
    for node in fresh.values():
        if "seed" in node["inputs"]:
            node["inputs"]["seed"] = fresh_seed()
    return fresh


def run_prompt(
    comfy: ComfyServer, prompt: dict[str, Any], timeout_s: float = 60.0
) -> dict[str, Any]:
    """Queue a prompt (fresh seeds), insist it is accepted, and return its finished history."""
    status, answer = comfy.queue(with_fresh_seeds(prompt))
    assert status == 200, f"/prompt refused the graph: {answer}"
    return comfy.wait_history(answer["prompt_id"], timeout_s)


def run_same(comfy: ComfyServer, prompt: dict[str, Any], timeout_s: float = 60) -> dict[str, Any]:
    """Queue exactly this prompt (no fresh seeds) and return its finished history."""
    status, answer = comfy.queue(prompt)
    assert status == 200, answer
    return comfy.wait_history(answer["prompt_id"], timeout_s)


def messages(entry: dict[str, Any], event: str) -> list[dict[str, Any]]:
    return [data for name, data in entry["status"]["messages"] if name == event]


def node_text(entry: dict[str, Any], node: str) -> str:
    """The text a node showed on its face in a history entry."""
    return " ".join(entry["outputs"].get(node, {}).get("text", []))


def error_text(entry: dict[str, Any]) -> str:
    """Every execution error's message of a history entry, as one text."""
    return " ".join(e["exception_message"] for e in messages(entry, "execution_error"))


def creation_node_count(prompt: dict[str, Any]) -> int:
    return sum(node["class_type"] in CREATION_NODES for node in prompt.values())


def text_to_preview(**inputs: Any) -> dict[str, Any]:
    """Text to Video whose task id goes to PreviewAny: creates the task without waiting for it."""
    text = load_workflow("text_to_video.json")["1"]
    text["inputs"].update({"seed": fresh_seed(), **inputs})
    return {"1": text, "9": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}


def refused(comfy: ComfyServer, sandbox: SandboxThread, prompt: dict[str, Any]) -> dict[str, Any]:
    """The node_errors of a graph /prompt must refuse, with no request sent to the service."""
    before = sandbox.request_counts()
    status, answer = comfy.queue(prompt)
    if status == 200:
        comfy.wait_history(answer["prompt_id"])  # leave the server idle for the next test
    assert status == 400, f"/prompt accepted the graph: {answer}"
    assert sandbox.request_counts() == before, "(creates, status calls, downloads) changed"
    return dict(answer["node_errors"])


def node_problem(node_errors: dict[str, Any], node_id: str) -> str:
    """The node's own message; ComfyUI repeats it once per input as '<input> - <message>'."""
    details = [error["details"] for error in node_errors[node_id]["errors"]]
    problems = {detail.partition(" - ")[2] for detail in details}
    assert len(problems) == 1, details
    return problems.pop()


def storyboard_to_preview(**inputs: Any) -> dict[str, Any]:
    """The example's Storyboard (its shot_list) whose task ids go to PreviewAny."""
    board = load_workflow("storyboard.json")["4"]
    board["inputs"].update({"seed": fresh_seed(), **inputs})
    return {"4": board, "9": {"class_type": "PreviewAny", "inputs": {"source": ["4", 0]}}}


def shot_builder_chain(durations: list[float], n_frames: str) -> dict[str, Any]:
    """A Storyboard fed by chained Shot Builders of `durations` (no shot_list), to PreviewAny."""
    graph: dict[str, Any] = {}
    for index, duration in enumerate(durations, start=1):
        node: dict[str, Any] = {
            "scene": f"Shot {index}: the harbour at dawn",
            "duration_s": duration,
        }
        if index > 1:
            node["shots"] = [str(index - 1), 0]
        graph[str(index)] = {"class_type": "FreeSoraShotBuilder", "inputs": node}
    preview = storyboard_to_preview(shots=[str(len(durations)), 0], n_frames=n_frames)
    del preview["4"]["inputs"]["shot_list"]
    return {**graph, **preview}


def saved_videos(comfy: ComfyServer, entry: dict[str, Any]) -> list[Path]:
    """The files SaveVideo reported in a history entry, in output order."""
    files = [
        comfy.base_dir / item["type"] / item["subfolder"] / item["filename"]
        for node in entry["outputs"].values()
        if node.get("animated")
        for item in node["images"]
        if item["subfolder"] != "freesora"  # Video Result's preview of the kept download
    ]
    return files


def mdat_payload(data: bytes) -> bytes:
    """The media data of an MP4: what a remux without re-encoding must keep byte for byte."""
    offset = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        header = 8
        if size == 1:
            size, header = int.from_bytes(data[offset + 8 : offset + 16], "big"), 16
        elif size == 0:
            size = len(data) - offset
        if kind == b"mdat":
            return data[offset + header : offset + size]
        offset += size
    raise AssertionError("no mdat box: not an MP4 file")


def assert_sample_videos_saved(comfy: ComfyServer, entry: dict[str, Any], count: int) -> list[Path]:
    """SaveVideo wrote `count` mp4s under output/video holding the sandbox's sample stream."""
    files = saved_videos(comfy, entry)
    assert len(files) == count, entry["outputs"]
    sample = mdat_payload(SAMPLE_MP4.read_bytes())
    for path in files:
        assert path.parent == comfy.base_dir / "output" / "video"
        assert path.suffix == ".mp4"
        assert mdat_payload(path.read_bytes()) == sample, f"{path.name} is not the sample video"
    return files


def offers_system_folder(comfy_dir: Path) -> bool:
    """Whether this core has a user folder HTTP never serves (newer than 0.3.64)."""
    source = (comfy_dir / "folder_paths.py").read_text(encoding="utf-8")
    return "def get_system_user_directory(" in source


def journal_file(comfy: ComfyServer, comfy_dir: Path) -> Path:
    """Where the pack's journal must be on this core."""
    folder = "__freesora" if offers_system_folder(comfy_dir) else "freesora"
    return comfy.base_dir / "user" / folder / "tasks.jsonl"
