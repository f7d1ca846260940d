"""A create whose answer is lost, resolved through the FreeSora tab's routes inside a real
ComfyUI: after adopt the same graph collects the task with no new create; after forget the same
graph creates exactly one.

The sandbox makes (and charges) the task, then drops the connection before answering
(`reset_after`), as a reset or a proxy's 5xx after the request left would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from comfy_host.graphs import error_text, fresh_seed, load_workflow, node_text, run_same
from comfy_host.server import ComfyServer, SandboxThread
from test_routes_in_comfyui import REBINDING, send

pytestmark = pytest.mark.comfyui


@dataclass
class Lost:
    graph: dict[str, Any]
    take: str
    task_id: str


def creates(sandbox: SandboxThread) -> int:
    return int(sandbox.call(lambda s: len(s.received.creates)))


def unknown_rows(comfy: ComfyServer) -> list[dict[str, Any]]:
    status, answer = comfy.request("GET", "/freesora/takes/unknown")
    assert status == 200, answer
    assert answer["count"] == len(answer["takes"])
    return list(answer["takes"])


def lose_a_create(comfy: ComfyServer, sandbox: SandboxThread) -> Lost:
    """Text to Video → Video Result → Save Video, whose create's answer never comes back."""
    graph = load_workflow("text_to_video.json")
    seed = graph["1"]["inputs"]["seed"] = fresh_seed()
    made = sandbox.call(lambda s: len(s.tasks))
    sandbox.call(lambda s: s.faults.add("create", "reset_after"))
    entry = run_same(comfy, graph)
    assert entry["status"]["status_str"] == "error"
    [task_id] = sandbox.call(lambda s: list(s.tasks)[made:])  # it exists, and was charged
    [row] = [row for row in unknown_rows(comfy) if row["seed"] == seed]
    assert (row["model"], row["seconds"]) == ("sora-2-pro-text-to-video", 10)
    assert graph["1"]["inputs"]["prompt"].startswith(row["prompt"].removesuffix("…"))
    return Lost(graph, row["take"], task_id)


def test_after_adopt_the_same_graph_collects_the_lost_task_with_no_new_create(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    lost = lose_a_create(comfy, sandbox)
    sent = creates(sandbox)
    typo = {"task_id": "task-typo-0000"}
    status, body = comfy.request("POST", f"/freesora/takes/{lost.take}/adopt", typo)
    assert (status, body["reason"]) == (404, "unknown_task"), body
    assert lost.take in [row["take"] for row in unknown_rows(comfy)]  # nothing recorded
    status, body = comfy.request(
        "POST", f"/freesora/takes/{lost.take}/adopt", {"task_id": lost.task_id}
    )
    assert status == 200, body
    assert (body["adopted"], body["task_id"]) == (True, lost.task_id)
    assert lost.take not in [row["take"] for row in unknown_rows(comfy)]
    again = run_same(comfy, lost.graph)
    assert again["status"]["status_str"] == "success", error_text(again)
    assert f"reused task {lost.task_id}" in node_text(again, "1")
    assert creates(sandbox) == sent


def test_after_forget_the_same_graph_creates_exactly_one_task(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    lost = lose_a_create(comfy, sandbox)
    sent, made = creates(sandbox), sandbox.call(lambda s: len(s.tasks))
    status, body = comfy.request("POST", f"/freesora/takes/{lost.take}/forget", {})
    assert status == 200, body
    assert body["forgotten"] is True
    assert lost.take not in [row["take"] for row in unknown_rows(comfy)]
    again = run_same(comfy, lost.graph)
    assert again["status"]["status_str"] == "success", error_text(again)
    assert creates(sandbox) == sent + 1
    [new_task] = sandbox.call(lambda s: list(s.tasks)[made:])
    assert new_task != lost.task_id
    assert new_task in node_text(again, "1")


@pytest.mark.parametrize("action", ["adopt", "forget"])
def test_a_rebinding_page_a_cross_origin_page_or_a_form_post_resolves_no_take(
    comfy: ComfyServer, sandbox: SandboxThread, action: str
) -> None:
    lost = lose_a_create(comfy, sandbox)
    other_page = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    body = {"task_id": lost.task_id}
    for prefix in ("", "/api"):
        path = f"{prefix}/freesora/takes/{lost.take}/{action}"
        for headers, content_type, refused in (
            (REBINDING, "application/json", 403),
            (other_page, "application/json", 403),
            ({}, "application/x-www-form-urlencoded", 415),
        ):
            status, text = send(comfy, "POST", path, body, headers, content_type)
            assert status == refused, (path, headers, content_type, text)
    assert lost.take in [row["take"] for row in unknown_rows(comfy)]
    status, _ = comfy.request("POST", f"/freesora/takes/{lost.take}/{action}", body)
    assert status == 200  # the page of this ComfyUI itself
