"""The daily budget and the storyboard's length rule in a real ComfyUI, against the sandbox."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from comfy_host.graphs import fresh_seed, load_workflow, messages, run_prompt, shot_builder_chain
from comfy_host.server import ComfyServer, SandboxThread

from freesora.schemas.pricing import estimate_body

pytestmark = pytest.mark.comfyui
PRO = {"model": "sora-2-pro-text-to-video", "nFrames": "10", "size": "standard"}


def _budgeted_profile(comfy: ComfyServer, sandbox: SandboxThread, budget: float) -> str:
    """A profile of its own account (a fresh sandbox key) with a daily budget, added to the
    server's config file (read at every run: no restart). A named profile has its own base
    URL: the sandbox's, never the real service."""
    path = comfy.base_dir / "freesora-config.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    name = "budget" + uuid.uuid4().hex[:8]
    key = "sk-sandbox-budget-" + uuid.uuid4().hex
    profile = {"api_key": key, "daily_budget": budget, "base_url": sandbox.base_url}
    data.setdefault("profiles", {})[name] = profile
    path.write_text(json.dumps(data), encoding="utf-8")
    return name


def _takes_to_saved(profile: str, batch_size: int) -> dict[str, Any]:
    graph = load_workflow("text_to_video.json")
    graph["1"]["inputs"].update(batch_size=batch_size, seed=fresh_seed(), profile=profile)
    graph["2"]["inputs"].update(profile=profile, on_error="skip")
    return graph


def _creates(sandbox: SandboxThread) -> int:
    return int(sandbox.call(lambda s: len(s.received.creates)))


def test_a_batch_over_the_budget_sends_the_takes_that_fit_and_skips_the_rest(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    price = estimate_body(PRO)
    profile = _budgeted_profile(comfy, sandbox, 1.5 * price)  # room for one take of three
    before = _creates(sandbox)
    entry = run_prompt(comfy, _takes_to_saved(profile, 3), timeout_s=90)
    errors = [e["exception_message"] for e in messages(entry, "execution_error")]
    assert entry["status"]["status_str"] == "success", errors
    assert _creates(sandbox) == before + 1
    saved = entry["outputs"]["3"]
    assert len(next(iter(saved.values()))) == 1, saved  # the one take that was sent
    face = json.dumps(entry["outputs"]["1"])
    assert face.count("not created: Daily budget reached") == 2, face


def test_a_node_over_the_budget_is_refused_at_run_time_saying_why_and_sends_nothing(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    price = estimate_body(PRO)
    profile = _budgeted_profile(comfy, sandbox, price - 1)
    before = _creates(sandbox)
    entry = run_prompt(comfy, _takes_to_saved(profile, 1))
    assert entry["status"]["status_str"] == "error"
    [error] = messages(entry, "execution_error")
    assert error["node_type"] == "FreeSoraTextToVideo"
    text = str(error["exception_message"])
    assert f"this create costs ≈ {price} credits" in text
    assert f"0 of the {price - 1}-credit daily budget" in text
    assert "daily_budget" in text
    assert "Nothing was sent" in text
    assert _creates(sandbox) == before


def test_a_storyboard_whose_linked_shots_outgrow_n_frames_is_refused_at_queue_time(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    """18 s of shots with n_frames 15 are never sent as 25 s (dearer than shown): /prompt
    refuses them in node_errors, naming the length that holds them."""
    graph = shot_builder_chain([6, 6, 6], "15")
    board = graph["4"]
    before = sandbox.request_counts()
    status, answer = comfy.queue(graph)
    if status == 200:
        comfy.wait_history(answer["prompt_id"])
    assert status == 400, answer
    details = json.dumps(answer["node_errors"]["4"])
    assert "n_frames 15 s is shorter than the shots (18 s in all)" in details, details
    assert "choose n_frames 25" in details
    assert sandbox.request_counts() == before
    board["inputs"]["n_frames"] = "25"  # a length that holds them: accepted and sent as chosen
    entry = run_prompt(comfy, graph)
    errors = [e["exception_message"] for e in messages(entry, "execution_error")]
    assert entry["status"]["status_str"] == "success", errors
    sent = sandbox.call(lambda s: s.received.creates[-1].body)
    assert sent["nFrames"] == "25"


def _fails_next(sandbox: SandboxThread, *, refund: bool) -> None:
    sandbox.call(lambda s: s.fail_create(s.tasks_created + 1, refund=refund))


def _last_task(sandbox: SandboxThread) -> str:
    return str(sandbox.call(lambda s: list(s.tasks)[-1]))


def test_a_failed_take_whose_credits_were_not_refunded_stays_spent_in_comfyui(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    price = estimate_body(PRO)
    profile = _budgeted_profile(comfy, sandbox, price)  # room for one take
    _fails_next(sandbox, refund=False)
    failed = run_prompt(comfy, _takes_to_saved(profile, 1), timeout_s=90)
    assert "credits were NOT refunded" in json.dumps(failed["outputs"]["2"])
    before = _creates(sandbox)
    entry = run_prompt(comfy, _takes_to_saved(profile, 1))
    assert entry["status"]["status_str"] == "error"
    [error] = messages(entry, "execution_error")
    assert f"{price} of the {price}-credit daily budget" in str(error["exception_message"])
    assert _creates(sandbox) == before  # nothing sent


def test_a_refund_the_service_reports_after_the_failure_lets_the_next_take_go_in_comfyui(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    price = estimate_body(PRO)
    profile = _budgeted_profile(comfy, sandbox, price)
    _fails_next(sandbox, refund=False)
    run_prompt(comfy, _takes_to_saved(profile, 1), timeout_s=90)
    failed = _last_task(sandbox)
    sandbox.call(lambda s: s.refund(failed))  # the service gives the credits back later
    before = _creates(sandbox)
    entry = run_prompt(comfy, _takes_to_saved(profile, 1), timeout_s=90)
    errors = [e["exception_message"] for e in messages(entry, "execution_error")]
    assert entry["status"]["status_str"] == "success", errors
    assert _creates(sandbox) == before + 1
