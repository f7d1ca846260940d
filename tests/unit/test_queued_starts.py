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


def _pacer(time: FakeTime, *, in_flight: int = 20, per_window: int = 4) -> Any:
    from freesora.create.queued import Pacer
    from freesora.schemas.account_limits import AccountLimits

    limits = AccountLimits(max_in_flight=in_flight, creates_per_window=per_window, window_s=10.0)
    return Pacer(limits, clock=lambda: time.now, sleep=time.sleep)


def test_early_starts_are_let_out_no_faster_than_the_accounts_window() -> None:
    time = FakeTime()
    pacer = _pacer(time)
    for creates in (2, 2):
        pacer.wait_turn(creates).release()
    assert time.slept == []  # the window's four at once
    time.now = 3.0
    pacer.wait_turn(3)  # waits until the first two leave the window
    assert time.slept == [7.0]
    pacer.wait_turn(9)  # more than a window: goes once the window is empty
    assert time.now == 20.0


def test_an_early_start_is_let_out_only_while_the_account_has_room_in_flight() -> None:
    from freesora.create.queued import Held

    time = FakeTime()
    pacer = _pacer(time, in_flight=3, per_window=20)
    first = pacer.next_turn(2)
    assert isinstance(first, Held)
    assert pacer.next_turn(2) is None  # 2 + 2 > 3: it waits for an answer, claiming nothing
    second = pacer.next_turn(1)
    assert isinstance(second, Held)
    first.release()
    first.release()  # once only: a second release gives back nothing more
    assert pacer.next_turn(3) is None
    second.release()
    held = pacer.next_turn(5)  # a batch larger than the account goes when nothing is in flight
    assert isinstance(held, Held)
    assert pacer.next_turn(1) is None


def test_an_early_start_waits_out_the_accounts_429_pause_before_it_claims() -> None:
    from freesora.create.queued import Held

    time = FakeTime()
    pacer = _pacer(time)
    assert pacer.next_turn(1, paused_until=12.5) == 12.5  # seconds to wait, nothing held
    time.now = 12.5
    assert isinstance(pacer.next_turn(1, paused_until=12.5), Held)
    time.now = 13.0
    pacer.wait_turn(1, paused_until=lambda: 20.0)
    assert time.slept == [7.0]


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


class Server:
    """What the early start uses of ComfyUI's server: its queue and the node-face channel."""

    def __init__(self, queued: list[str]) -> None:
        self.told: list[tuple[str, str, str]] = []
        self.queued = queued
        self.prompt_queue = self

    def get_current_queue(self) -> tuple[list[Any], list[Any]]:
        return [], [(0, prompt_id) for prompt_id in self.queued]

    def send_progress_text(self, text: str, node_id: str, sid: str) -> None:
        self.told.append((text, node_id, sid))


def test_a_malformed_account_limit_leaves_each_node_to_its_run_with_one_log_line(
    monkeypatch: Any, caplog: Any
) -> None:
    from freesora.nodes import queue_start

    monkeypatch.setenv("FREESORA_API_KEY", "sk-test-limits-1234567890")
    monkeypatch.setenv("FREESORA_MAX_IN_FLIGHT", "many")
    queue_start._pacer.cache_clear()
    server = Server(["p1"])
    starts = early_starts(prompt_of(n1=TEXT, n2=result("1"), n3=save("2")), ["3"], never_lazy)
    queue_start._start_all(server, "p1", "c1", starts)  # raises nothing on its thread
    queue_start._pacer.cache_clear()
    [line] = [r.getMessage() for r in caplog.records if r.name == "freesora.queue"]
    assert "not started when queued" in line
    assert "FREESORA_MAX_IN_FLIGHT" in line
    assert server.told == []  # nothing started: the node says it when it runs


def test_a_long_failure_of_an_early_start_is_shortened_on_the_node_and_whole_in_the_log(
    caplog: Any,
) -> None:
    from concurrent.futures import Future

    from freesora.errors import MESSAGE_MAX_CHARS, FreeSoraError
    from freesora.nodes import queue_start

    said: list[str] = []
    done: Future[Any] = Future()
    long = "The service said: " + "word " * 200 + "END"
    done.set_exception(FreeSoraError(long))
    queue_start._ended("p1", "1", said.append, done)
    [text] = said
    assert len(text) <= MESSAGE_MAX_CHARS
    assert text.startswith("could not start when queued: The service said: word word")
    assert text.endswith("…")
    assert any(long in r.getMessage() for r in caplog.records)
