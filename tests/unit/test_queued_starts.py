"""Which creation nodes of a queued prompt start when it is queued, on plain API-format prompts
(no ComfyUI): only those that will run, and only with requests the prompt alone says."""

from __future__ import annotations

import copy
from typing import Any

from freesora.create.plan import storyboard_takes, text_to_video_takes
from freesora.create.queued import early_starts, will_run

TEXT: dict[str, Any] = {
    "class_type": "FreeSoraTextToVideo",
    "inputs": {
        "model": "sora-2-text-to-video",
        "prompt": "A paper boat",
        "aspect_ratio": "landscape",
        "n_frames": "10",
        "size": "standard",
        "remove_watermark": True,
        "is_public": True,
        "seed": 5,
        "profile": "",
        "batch_size": 2,
    },
}
BOARD: dict[str, Any] = {
    "class_type": "FreeSoraStoryboard",
    "inputs": {
        "aspect_ratio": "portrait",
        "n_frames": "15",
        "is_public": True,
        "seed": 9,
        "profile": "",
        "batch_size": 1,
        "shot_list": "5 | A fox wakes\n5 | It runs",
    },
}


def result(source: str, node: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"class_type": "FreeSoraVideoResult", "inputs": {"task_id": [source, 0]}}


def save(source: str) -> dict[str, Any]:
    return {"class_type": "SaveVideo", "inputs": {"video": [source, 0]}}


def never_lazy(class_type: str, name: str) -> bool:
    return False


def prompt_of(**nodes: dict[str, Any]) -> dict[str, Any]:
    return {key.lstrip("n"): copy.deepcopy(node) for key, node in nodes.items()}


def started(prompt: dict[str, Any], outputs: list[str], is_lazy: Any = never_lazy) -> list[str]:
    return [start.node_id for start in early_starts(prompt, outputs, is_lazy)]


def test_a_text_to_video_that_an_output_needs_starts_with_the_takes_its_node_plans() -> None:
    prompt = prompt_of(n1=TEXT, n2=result("1"), n3=save("2"))
    [start] = early_starts(prompt, ["3"], never_lazy)
    assert (start.node_id, start.class_type) == ("1", "FreeSoraTextToVideo")
    # The node plans its run from the same inputs with the same function.
    assert start.takes == text_to_video_takes(**TEXT["inputs"])
    assert len(start.takes.planned) == 2
    assert start.takes.seed == 5
    assert start.takes.profile is None  # the default profile


def test_a_creation_node_no_executed_output_needs_does_not_start() -> None:
    prompt = prompt_of(
        n1=TEXT, n2=result("1"), n3=save("2"), n4=BOARD, n5=result("4"), n6=save("5")
    )
    assert started(prompt, ["3", "6"]) == ["1", "4"]
    # partial_execution_targets: ComfyUI queues only the chosen outputs.
    assert started(prompt, ["6"]) == ["4"]
    # A creation node with no output after it is not run by ComfyUI.
    lone = prompt_of(n1=TEXT, n4=BOARD, n5=result("4"), n6=save("5"))
    assert started(lone, ["6"]) == ["4"]


def test_a_node_behind_a_lazy_input_starts_when_it_runs() -> None:
    switch = {
        "class_type": "ComfySwitchNode",
        "inputs": {"on_true": ["2", 0], "on_false": ["5", 0], "switch": True},
    }
    prompt = prompt_of(n1=TEXT, n2=result("1"), n4=BOARD, n5=result("4"), n7=switch, n8=save("7"))

    def lazy(class_type: str, name: str) -> bool:
        return class_type == "ComfySwitchNode" and name in ("on_true", "on_false")

    assert started(prompt, ["8"], lazy) == []
    assert will_run(prompt, ["8"], lazy) == {"7", "8"}
    assert started(prompt, ["8"]) == ["1", "4"]  # the same graph without lazy inputs


def test_a_text_to_video_with_any_linked_input_starts_when_it_runs() -> None:
    linked = copy.deepcopy(TEXT)
    linked["inputs"]["prompt"] = ["9", 0]
    text = {"class_type": "PrimitiveStringMultiline", "inputs": {"value": "A boat"}}
    prompt = prompt_of(n1=linked, n9=text, n2=result("1"), n3=save("2"))
    assert started(prompt, ["3"]) == []
    seeded = copy.deepcopy(TEXT)
    seeded["inputs"]["seed"] = ["9", 0]
    assert started(prompt_of(n1=seeded, n9=text, n2=result("1"), n3=save("2")), ["3"]) == []


def test_image_to_video_always_starts_when_it_runs() -> None:
    image = {
        "class_type": "FreeSoraImageToVideo",
        "inputs": {
            "model": "sora-2-image-to-video",
            "prompt": "x",
            "image_url": "https://a.b/c.png",
        },
    }
    assert started(prompt_of(n1=image, n2=result("1"), n3=save("2")), ["3"]) == []


def _builders(*shots: tuple[str, float]) -> dict[str, Any]:
    nodes: dict[str, Any] = {}
    before = None
    for number, (scene, seconds) in enumerate(shots, start=20):
        inputs: dict[str, Any] = {"scene": scene, "duration_s": seconds}
        if before is not None:
            inputs["shots"] = [before, 0]
        nodes[str(number)] = {"class_type": "FreeSoraShotBuilder", "inputs": inputs}
        before = str(number)
    return nodes


def test_a_storyboard_of_a_shot_list_or_of_literal_shot_builders_starts_with_those_shots() -> None:
    prompt = prompt_of(n4=BOARD, n5=result("4"), n6=save("5"))
    [start] = early_starts(prompt, ["6"], never_lazy)
    assert start.takes == storyboard_takes(**BOARD["inputs"])
    chained = copy.deepcopy(BOARD)
    chained["inputs"].pop("shot_list")
    chained["inputs"]["shots"] = ["22", 0]
    prompt = {
        **prompt_of(n4=chained, n5=result("4"), n6=save("5")),
        **_builders(("one", 2.5), ("two", 4.0), ("three", 3.0)),
    }
    [start] = early_starts(prompt, ["6"], never_lazy)
    shots = start.takes.planned[0].request.shots
    assert [(shot.scene, shot.duration) for shot in shots or []] == [
        ("one", 2.5),
        ("two", 4.0),
        ("three", 3.0),
    ]


def test_a_storyboard_whose_shot_builders_are_not_all_literal_starts_when_it_runs() -> None:
    chained = copy.deepcopy(BOARD)
    chained["inputs"].pop("shot_list")
    chained["inputs"]["shots"] = ["21", 0]
    builders = _builders(("one", 2.5), ("two", 4.0))
    builders["20"]["inputs"]["scene"] = ["9", 0]
    text = {"class_type": "PrimitiveStringMultiline", "inputs": {"value": "A boat"}}
    prompt = {**prompt_of(n4=chained, n5=result("4"), n6=save("5"), n9=text), **builders}
    assert started(prompt, ["6"]) == []
    other = copy.deepcopy(chained)
    other["inputs"]["shots"] = ["9", 0]  # not a Shot Builder at all
    assert started({**prompt, "4": other}, ["6"]) == []


def test_values_the_node_would_refuse_start_nothing_early() -> None:
    too_many = copy.deepcopy(TEXT)
    too_many["inputs"]["batch_size"] = 99
    assert started(prompt_of(n1=too_many, n2=result("1"), n3=save("2")), ["3"]) == []
    long_shots = copy.deepcopy(BOARD)
    long_shots["inputs"]["shot_list"] = "15 | A\n15 | B"  # 30 s: longer than any storyboard
    assert started(prompt_of(n4=long_shots, n5=result("4"), n6=save("5")), ["6"]) == []


def test_a_circular_or_broken_prompt_is_walked_without_failing() -> None:
    loop = {"class_type": "Loop", "inputs": {"a": ["2", 0]}}
    back = {"class_type": "Loop", "inputs": {"a": ["1", 0], "b": ["missing", 0]}}
    assert will_run({"1": loop, "2": back}, ["1"], never_lazy) == {"1", "2"}
    assert started({"1": loop, "2": back}, ["1", "nowhere"]) == []


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_early_starts_are_let_out_no_faster_than_the_accounts_window() -> None:
    from freesora.create.queued import Pacer

    time = FakeTime()
    pacer = Pacer(per_window=4, window_s=10.0, clock=lambda: time.now, sleep=time.sleep)
    for creates in (2, 2):
        pacer.wait_turn(creates)
    assert time.slept == []  # the window's four at once
    time.now = 3.0
    pacer.wait_turn(3)  # waits until the first two leave the window
    assert time.slept == [7.0]
    pacer.wait_turn(9)  # more than a window: goes once the window is empty
    assert time.now == 20.0


def test_both_cores_queue_items_are_read_and_anything_else_is_left_alone() -> None:
    from freesora.nodes.queue_start import queue_item

    prompt = prompt_of(n1=TEXT, n2=result("1"), n3=save("2"))
    extra = {"client_id": "c1", "freesora_start_when_queued": True}
    old = (0, "p1", prompt, extra, ["3"])  # 0.3.64
    new = (1, "p2", prompt, extra, ["3"], {"auth_token_comfy_org": "x"})  # 0.28.2
    assert queue_item(old) == ("p1", prompt, extra, ["3"])
    assert queue_item(new) == ("p2", prompt, extra, ["3"])
    for other in (None, (0, "p", prompt), (0, 7, prompt, extra, ["3"]), (0, "p", prompt, None, [])):
        assert queue_item(other) is None


def test_the_environment_wins_over_each_prompts_switch(monkeypatch: Any) -> None:
    from freesora.nodes.queue_start import switch_on

    monkeypatch.delenv("FREESORA_START_WHEN_QUEUED", raising=False)
    assert switch_on({"freesora_start_when_queued": True})
    assert not switch_on({"freesora_start_when_queued": "yes"})  # only a JSON true
    assert not switch_on({})
    monkeypatch.setenv("FREESORA_START_WHEN_QUEUED", "on")
    assert switch_on({})
    assert switch_on({"freesora_start_when_queued": False})
    monkeypatch.setenv("FREESORA_START_WHEN_QUEUED", "0")
    assert not switch_on({"freesora_start_when_queued": True})
    monkeypatch.setenv("FREESORA_START_WHEN_QUEUED", "maybe")  # refused: off, and logged
    assert not switch_on({"freesora_start_when_queued": True})
