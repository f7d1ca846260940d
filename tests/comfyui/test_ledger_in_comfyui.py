"""The ledger's hard cases inside a real ComfyUI: a prompt failing mid-create, kill -9, a torn
journal line, another account, code 501 and kept videos. Same seeds on purpose: reuse is what is
tested."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from comfy_host.graphs import (
    CANARY_KEY,
    PACK_ENTRY,
    REPO_ROOT,
    error_text,
    fresh_seed,
    journal_file,
    load_workflow,
    node_text,
    run_same,
)
from comfy_host.hosts import Host
from comfy_host.server import ComfyServer, SandboxThread, pack_env, start_host, wait_until

pytestmark = pytest.mark.comfyui
REUSED, MAY_BE_CHARGED = "reused task", "may have been charged"


def only_create(seed: int, prompt: str, **inputs: Any) -> dict[str, Any]:
    text = load_workflow("text_to_video.json")["1"]
    text["inputs"].update(seed=seed, prompt=prompt, **inputs)
    return {"1": text, "9": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}


def later_run(graph: dict[str, Any], node: str = "1") -> dict[str, Any]:
    """The same take as a later run sees it: profile "default" is the profile "" stands for,
    but a new input to ComfyUI's cache, so the node runs again instead of being served."""
    again = json.loads(json.dumps(graph))
    again[node]["inputs"]["profile"] = "default"
    return dict(again)


def test_a_prompt_failing_elsewhere_mid_create_loses_no_task_and_pays_once(
    comfy: ComfyServer, sandbox: SandboxThread, host: Host
) -> None:
    """Two creates: one slow, the other refused (the prompt fails while the first is sent)."""
    seed = fresh_seed()
    sandbox.call(lambda s: s.faults.add("create", "delay", seconds=3))
    sandbox.call(lambda s: s.faults.add("create", "code", code=402, message="No credits"))
    graph = {
        **only_create(seed, "A red kite over dunes"),
        "2": only_create(seed, "A blue kite over dunes")["1"],
        "8": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    }
    before = sandbox.call(lambda s: len(s.tasks))
    entry = run_same(comfy, graph)
    assert entry["status"]["status_str"] == "error"
    assert "No credits" in error_text(entry)
    made = sandbox.call(lambda s: list(s.tasks)[before:])
    assert len(made) == 1, "the slow create completes on the service (and is charged)"
    records = [
        json.loads(line) for line in journal_file(comfy, host.comfy_dir).read_text().splitlines()
    ]
    assert {"event": "created", "task_id": made[0]}.items() <= next(
        r for r in records if r.get("task_id") == made[0]
    ).items(), "the create's answer was awaited and recorded after the prompt failed"
    creates = sandbox.call(lambda s: len(s.received.creates))
    again = run_same(comfy, graph)
    assert again["status"]["status_str"] == "success", error_text(again)
    assert f"{REUSED} {made[0]}" in node_text(again, "1") + node_text(again, "2")
    assert sandbox.call(lambda s: len(s.received.creates)) == creates + 1  # only the refused one


def test_a_torn_journal_line_does_not_make_the_next_task_paid_twice(
    comfy: ComfyServer, sandbox: SandboxThread, host: Host
) -> None:
    journal_file(comfy, host.comfy_dir).parent.mkdir(parents=True, exist_ok=True)
    with journal_file(comfy, host.comfy_dir).open("ab") as handle:
        handle.write(b'{"event":"created","task_id":"torn-by-a-cra')
    graph = only_create(fresh_seed(), "A torn sail")
    first = run_same(comfy, graph)
    assert first["status"]["status_str"] == "success", error_text(first)
    creates = sandbox.call(lambda s: len(s.received.creates))
    second = run_same(comfy, later_run(graph))
    assert REUSED in node_text(second, "1")
    assert sandbox.call(lambda s: len(s.received.creates)) == creates


def test_another_profiles_key_never_reuses_this_accounts_task(
    comfy: ComfyServer, sandbox: SandboxThread, host: Host
) -> None:
    bob = "sk-sandbox-bob-ledger-0001"
    config = {"profiles": {"bob": {"api_key": bob, "base_url": sandbox.base_url}}}
    (comfy.base_dir / "freesora-config.json").write_text(json.dumps(config), encoding="utf-8")
    seed = fresh_seed()
    try:
        mine = run_same(comfy, only_create(seed, "A shared prompt"))
        theirs = run_same(comfy, only_create(seed, "A shared prompt", profile="bob"))
    finally:
        (comfy.base_dir / "freesora-config.json").unlink()
    assert "created task" in node_text(mine, "1")
    assert "created task" in node_text(theirs, "1"), node_text(theirs, "1")
    assert REUSED not in node_text(theirs, "1")
    owners = sandbox.call(lambda s: [t.owner for t in list(s.tasks.values())[-2:]])
    assert owners == [CANARY_KEY, bob]
    assert bob not in journal_file(comfy, host.comfy_dir).read_text()


def test_a_generation_failed_task_is_recorded_and_the_seed_creates_anew(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    graph = load_workflow("text_to_video.json")
    graph["1"]["inputs"].update(seed=fresh_seed(), prompt="A glass harp")
    sandbox.call(lambda s: s.faults.add("status", "code", code=501, message="generation failed"))
    first = run_same(comfy, graph)
    assert first["status"]["status_str"] == "error"
    assert "generation failed" in error_text(first)
    sandbox.call(lambda s: s.faults.clear())
    second = run_same(comfy, later_run(graph))
    assert second["status"]["status_str"] == "success", error_text(second)
    text = node_text(second, "1")
    assert "created task" in text
    assert "with this seed was failed" in text
    assert "code 501" in text


def test_videos_are_kept_in_output_freesora_and_a_rerun_reuses_the_file(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    graph = load_workflow("text_to_video.json")
    graph["1"]["inputs"].update(seed=fresh_seed(), prompt="A kept video")
    entry = run_same(comfy, graph)
    assert entry["status"]["status_str"] == "success", error_text(entry)
    [task_id] = sandbox.call(lambda s: list(s.tasks)[-1:])
    kept = comfy.base_dir / "output" / "freesora" / f"freesora_{task_id}.mp4"
    assert kept.is_file()
    assert not list((comfy.base_dir / "temp").rglob(f"*{task_id}*"))
    shown = entry["outputs"]["2"]
    assert {"filename": kept.name, "subfolder": "freesora", "type": "output"} in shown["images"]
    downloads = sandbox.call(lambda s: len(s.received.downloads))
    # A pasted id re-run (as after the cache let it go): the kept file, no second download.
    pasted = {"2": {**graph["2"], "inputs": {**graph["2"]["inputs"], "task_id": task_id}}}
    pasted["3"] = graph["3"]
    again = run_same(comfy, pasted)
    assert again["status"]["status_str"] == "success", error_text(again)
    assert sandbox.call(lambda s: len(s.received.downloads)) == downloads


def test_a_mistyped_id_pasted_into_video_result_leaves_nothing_behind(
    comfy: ComfyServer, sandbox: SandboxThread, host: Host
) -> None:
    typo = f"typo-id-{fresh_seed()}"
    graph = load_workflow("text_to_video.json")
    del graph["1"]
    graph["2"]["inputs"]["task_id"] = typo
    entry = run_same(comfy, graph)
    assert entry["status"]["status_str"] == "error"
    assert f"does not know task {typo}" in error_text(entry)
    status, listed = comfy.request("GET", "/freesora/tasks?limit=200")
    assert status == 200, listed
    assert typo not in json.dumps(listed)  # the tab and Task History list nothing of it
    journal = journal_file(comfy, host.comfy_dir)
    assert not journal.exists() or typo not in journal.read_text(encoding="utf-8")


# --- kill -9 of ComfyUI mid-create: its own ComfyUI, restarted on the same folders -----------


@pytest.fixture
def own_comfy(
    tmp_path: Path, sandbox: SandboxThread
) -> Iterator[tuple[Path, dict[str, str], list[ComfyServer]]]:
    base = tmp_path / "base"
    (base / "custom_nodes").mkdir(parents=True)
    (base / "custom_nodes" / PACK_ENTRY).symlink_to(REPO_ROOT, target_is_directory=True)
    env = pack_env(sandbox.base_url, base / "freesora-config.json", FREESORA_API_KEY=CANARY_KEY)
    started: list[ComfyServer] = []
    yield base, env, started
    for server in started:
        server.stop()


def test_comfyui_killed_mid_create_never_creates_the_take_again(
    own_comfy: tuple[Path, dict[str, str], list[ComfyServer]], sandbox: SandboxThread, host: Host
) -> None:
    base, env, started = own_comfy
    first = start_host(host, base, env)
    started.append(first)
    graph = only_create(fresh_seed(), "A lantern at sea")
    sandbox.call(lambda s: s.faults.add("create", "delay", seconds=4))
    before = sandbox.call(lambda s: (len(s.received.creates), len(s.tasks)))
    status, _ = first.queue(graph)
    assert status == 200
    wait_until(
        lambda: sandbox.call(lambda s: len(s.received.creates)) > before[0], 30, "the create"
    )
    first.process.kill()  # kill -9, mid-create
    first.process.wait(10)
    wait_until(lambda: sandbox.call(lambda s: len(s.tasks)) > before[1], 30, "the charge")
    second = start_host(host, base, env)
    started.append(second)
    entry = run_same(second, graph)
    assert entry["status"]["status_str"] == "error"
    told = error_text(entry)
    assert MAY_BE_CHARGED in told
    assert "freesora tasks adopt" in told
    assert "its process stopped before the answer was recorded" in told
    assert sandbox.call(lambda s: len(s.received.creates)) == before[0] + 1
