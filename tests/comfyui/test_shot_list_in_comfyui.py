"""The Storyboard's shot_list inside a real ComfyUI: /prompt refuses a bad list in node_errors
(nothing reaches the service), a good one is sent as its shots, and Shot Builder chains, the
other source, keep working alone but never together with a shot_list."""

from __future__ import annotations

from typing import Any

import pytest
from comfy_host.graphs import (
    messages,
    node_problem,
    refused,
    run_prompt,
    shot_builder_chain,
    storyboard_to_preview,
)
from comfy_host.server import ComfyServer, SandboxThread

pytestmark = pytest.mark.comfyui


def _sent(comfy: ComfyServer, sandbox: SandboxThread, graph: dict[str, Any]) -> dict[str, Any]:
    """The one create body a graph that must run sent."""
    before = sandbox.call(lambda s: len(s.received.creates))
    entry = run_prompt(comfy, graph)
    failures = [error["exception_message"] for error in messages(entry, "execution_error")]
    assert entry["status"]["status_str"] == "success", failures
    [body] = sandbox.call(lambda s: [r.body for r in s.received.creates[before:]])
    return dict(body)


@pytest.mark.parametrize(
    ("shot_list", "message"),
    [
        (
            "5 | a harbour\n\nfive | a gull",
            "shot_list line 3: SECONDS must be 0.1 to 15 in tenths of a second (like 5 or 2.5), "
            "got 'five'",
        ),
        ("5 | a harbour\n2.25 | a gull", "shot_list line 2: SECONDS must be 0.1 to 15 in tenths"),
        ("5 | a harbour\n16 | a gull", "shot_list line 2: SECONDS must be 0.1 to 15 in tenths"),
        (
            "A harbour at dawn",
            "shot_list line 1: must look like SECONDS | scene (e.g. 5 | Establishing shot of a "
            "city skyline at dusk), got 'A harbour at dawn'",
        ),
        ("\n\n5 |  ", "shot_list line 3: the scene after | is empty: say what the shot shows"),
        (
            "\n".join(["1 | a shot"] * 11),
            "shot_list line 11: is shot 11; a storyboard takes at most 10 shots",
        ),
    ],
    ids=["seconds", "tenths", "too-long", "form", "scene", "count"],
)
def test_a_bad_shot_list_line_is_refused_at_queue_time_naming_its_line(
    comfy: ComfyServer, sandbox: SandboxThread, shot_list: str, message: str
) -> None:
    errors = refused(comfy, sandbox, storyboard_to_preview(shot_list=shot_list))
    assert node_problem(errors, "4").startswith(message)


def test_a_shot_list_the_chosen_length_cannot_hold_is_refused_naming_the_lengths(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    graph = storyboard_to_preview(shot_list="6 | a\n6 | b\n6 | c", n_frames="15")
    problem = node_problem(refused(comfy, sandbox, graph), "4")
    assert problem.startswith("n_frames 15 s is shorter than the shots (18 s in all)"), problem
    assert "choose n_frames 25" in problem


def test_a_shot_list_and_connected_shot_builders_together_are_refused_at_queue_time(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    graph = shot_builder_chain([5, 5], "15")
    graph["4"]["inputs"]["shot_list"] = "5 | typed as well"
    problem = node_problem(refused(comfy, sandbox, graph), "4")
    assert problem.startswith("shot_list and the connected shots input both give shots"), problem


@pytest.mark.parametrize("shot_list", ["", " \n\n\t"])
def test_a_storyboard_without_shot_list_or_shot_builders_is_refused_at_queue_time(
    comfy: ComfyServer, sandbox: SandboxThread, shot_list: str
) -> None:
    problem = node_problem(refused(comfy, sandbox, storyboard_to_preview(shot_list=shot_list)), "4")
    assert problem.startswith("shot_list is empty and no Shot Builder is connected"), problem


def test_a_storyboard_prompt_without_the_shot_list_input_is_refused_as_empty(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    graph = storyboard_to_preview()
    del graph["4"]["inputs"]["shot_list"]
    problem = node_problem(refused(comfy, sandbox, graph), "4")
    assert problem.startswith("shot_list is empty"), problem


def test_a_shot_list_is_sent_as_its_shots_in_order(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    shot_list = "\n4 | A neon sign: OPEN | CLOSED\n\n   \n2.5 | Rain on the glass  \n3.5|A tram"
    body = _sent(comfy, sandbox, storyboard_to_preview(shot_list=shot_list, n_frames="10"))
    assert body["shots"] == [
        {"Scene": "A neon sign: OPEN | CLOSED", "duration": 4},
        {"Scene": "Rain on the glass", "duration": 2.5},
        {"Scene": "A tram", "duration": 3.5},
    ]
    assert body["nFrames"] == "10"


def test_an_api_prompt_from_before_shot_list_still_runs_its_shot_builders(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    """Saved API prompts have no shot_list: the linked Shot Builders alone are the shots."""
    graph = shot_builder_chain([5, 4.5], "10")
    assert "shot_list" not in graph["4"]["inputs"]
    body = _sent(comfy, sandbox, graph)
    assert [shot["duration"] for shot in body["shots"]] == [5, 4.5]
    assert body["shots"][0]["Scene"] == "Shot 1: the harbour at dawn"
