"""The file ledger's corners inside a real ComfyUI: a profile whose journal is a copy made
without its secret, and a task id of an unusual shape from the service."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from comfy_host.graphs import (
    assert_sample_videos_saved,
    error_text,
    fresh_seed,
    journal_file,
    load_workflow,
    node_text,
    run_same,
)
from comfy_host.hosts import Host
from comfy_host.server import ComfyServer, SandboxThread

pytestmark = pytest.mark.comfyui


def creates(sandbox: SandboxThread) -> int:
    return sandbox.call(lambda s: len(s.received.creates))


def test_a_profile_whose_journal_is_a_copy_without_its_secret_never_creates_again(
    comfy: ComfyServer, sandbox: SandboxThread, tmp_path: Path, host: Host
) -> None:
    text = load_workflow("text_to_video.json")["1"]
    text["inputs"].update(seed=fresh_seed(), prompt="A journal copied to another folder")
    graph = {"1": text, "9": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}
    first = run_same(comfy, graph)
    assert first["status"]["status_str"] == "success", error_text(first)
    assert "created task" in node_text(first, "1")
    copy = tmp_path / "copied" / "tasks.jsonl"
    copy.parent.mkdir()
    shutil.copyfile(journal_file(comfy, host.comfy_dir), copy)  # without tasks.jsonl.secret
    config = comfy.base_dir / "freesora-config.json"
    config.write_text(json.dumps({"profiles": {"default": {"journal": str(copy)}}}))
    # The same take, run through the profile (a new input to ComfyUI's cache, same account).
    graph["1"]["inputs"]["profile"] = "default"
    try:
        before = creates(sandbox)
        refused = run_same(comfy, graph)
        assert refused["status"]["status_str"] == "error"
        said = error_text(refused)
        assert f"secret {copy}.secret is missing" in said
        assert "freesora tasks rekey" in said
        assert creates(sandbox) == before, "a copied journal paid again for an earlier take"
        assert not copy.with_name("tasks.jsonl.secret").exists()
        secret = journal_file(comfy, host.comfy_dir).with_name("tasks.jsonl.secret")
        shutil.copyfile(secret, copy.with_name(secret.name))  # the copy made with its secret
        again = run_same(comfy, graph)
        assert again["status"]["status_str"] == "success", error_text(again)
        assert "reused task" in node_text(again, "1")
        assert creates(sandbox) == before
    finally:
        config.unlink()


def test_a_task_id_of_an_unusual_shape_is_created_collected_and_saved(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    odd = f"sora.2026-12-04:{uuid.uuid4().hex[:12]}"
    sandbox.call(lambda s: s.faults.add("create", "task_id", value=odd))
    graph = load_workflow("text_to_video.json")
    graph["1"]["inputs"].update(seed=fresh_seed(), prompt="An id with a dot and a colon")
    entry = run_same(comfy, graph)
    assert entry["status"]["status_str"] == "success", error_text(entry)
    assert f"created task {odd}" in node_text(entry, "1")
    assert_sample_videos_saved(comfy, entry, 1)
    [kept] = [i for i in entry["outputs"]["2"]["images"] if i["subfolder"] == "freesora"]
    assert ":" not in kept["filename"]
    assert (comfy.base_dir / "output" / "freesora" / kept["filename"]).is_file()
    # Pasted into Video Result: accepted at queue time, collected from the kept file.
    downloads = sandbox.call(lambda s: len(s.received.downloads))
    pasted = {"2": graph["2"], "3": graph["3"]}
    pasted["2"]["inputs"]["task_id"] = odd
    again = run_same(comfy, pasted)
    assert again["status"]["status_str"] == "success", error_text(again)
    assert_sample_videos_saved(comfy, again, 1)
    assert sandbox.call(lambda s: len(s.received.downloads)) == downloads
