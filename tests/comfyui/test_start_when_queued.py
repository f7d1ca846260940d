"""Start tasks when queued, in a real ComfyUI against the sandbox.

The sandbox's clock is the test's: no task finishes until the test moves it, so a first prompt
(the switch off) keeps ComfyUI's executor busy while the prompts queued after it wait in the
queue. What those prompts sent meanwhile is exactly what started when queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import struct
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from comfy_host.graphs import (
    PACK_ENTRY,
    REPO_ROOT,
    fresh_seed,
    load_workflow,
    shot_builder_chain,
)
from comfy_host.hosts import Host
from comfy_host.server import (
    ComfyServer,
    SandboxThread,
    pack_env,
    serving_pack,
    start_host,
    start_with_pack,
    wait_until,
)

from freesora.nodes.queue_start import NOT_EARLY
from freesora.sandbox import FAIL_MARKER
from freesora.schemas.pricing import estimate_body

pytestmark = pytest.mark.comfyui
KEY = "sk-sandbox-queued-" + uuid.uuid4().hex[:8]
TASK_S = 30.0
WAIT_S = 90.0
PRO = {"model": "sora-2-pro-text-to-video", "nFrames": "10", "size": "standard"}


class Clock:
    """The sandbox's clock: moves only when the test says."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def service(clock: Clock) -> Iterator[SandboxThread]:
    running = SandboxThread(task_seconds=TASK_S, clock=clock, default_credits=1_000_000).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def queued_comfy(
    tmp_path_factory: pytest.TempPathFactory, host: Host, service: SandboxThread
) -> Iterator[ComfyServer]:
    with serving_pack(
        host, tmp_path_factory.mktemp("comfy-queued"), service.base_url, KEY
    ) as server:
        yield server


def text_graph(prompt: str, **inputs: Any) -> dict[str, Any]:
    graph = load_workflow("text_to_video.json")
    graph["1"]["inputs"].update(prompt=prompt, seed=fresh_seed(), **inputs)
    graph["2"]["inputs"]["poll_interval_s"] = 0.5
    graph["3"]["inputs"]["filename_prefix"] = "video/queued"
    return graph


def queue(
    comfy: ComfyServer,
    prompt: dict[str, Any],
    *,
    on: bool | None = True,
    client: str = "queued-tests",
    **more: Any,
) -> str:
    extra = {} if on is None else {"freesora_start_when_queued": on}
    body = {"prompt": prompt, "client_id": client, "extra_data": extra, **more}
    status, answer = comfy.request("POST", "/prompt", body)
    assert status == 200, answer
    return str(answer["prompt_id"])


def sent_prompts(service: SandboxThread) -> list[str]:
    return list(service.call(lambda s: [c.body.get("prompt") for c in s.received.creates]))


def wait_sent(service: SandboxThread, count: int) -> list[str]:
    wait_until(lambda: len(sent_prompts(service)) >= count, WAIT_S, f"{count} creates")
    return sent_prompts(service)


def finish_tasks(clock: Clock) -> None:
    clock.now += TASK_S + 1


def history(comfy: ComfyServer, prompt_id: str) -> dict[str, Any]:
    return comfy.wait_history(prompt_id, WAIT_S)


def succeeded(entry: dict[str, Any]) -> bool:
    return bool(entry["status"]["status_str"] == "success")


def rows(comfy: ComfyServer) -> dict[str, dict[str, Any]]:
    """/freesora/tasks rows by the start of their prompt."""
    status, page = comfy.request("GET", "/api/freesora/tasks?limit=200")
    assert status == 200, page
    return {row["prompt"].split(" | ")[0]: row for row in page["tasks"]}


def blocker(comfy: ComfyServer, service: SandboxThread) -> tuple[str, int]:
    """A prompt (the switch off) that keeps the executor busy until the clock moves; the
    number of creates once it is running."""
    before = len(sent_prompts(service))
    prompt_id = queue(comfy, text_graph(f"blocker {uuid.uuid4().hex[:6]}"), on=False)
    wait_sent(service, before + 1)
    return prompt_id, before + 1


def test_queued_prompts_start_their_takes_at_once_and_each_node_reuses_its_take(
    queued_comfy: ComfyServer, service: SandboxThread, clock: Clock
) -> None:
    first, running = blocker(queued_comfy, service)
    names = [f"early {n} {uuid.uuid4().hex[:6]}" for n in range(3)]
    ids = [queue(queued_comfy, text_graph(name)) for name in names]
    sent = wait_sent(service, running + 3)
    assert sorted(sent[running:]) == sorted(names)  # all three while the first still runs
    _, pending = queued_comfy.request("GET", "/queue")
    assert {item[1] for item in pending["queue_pending"]} == set(ids)
    finish_tasks(clock)
    for prompt_id in [first, *ids]:
        entry = history(queued_comfy, prompt_id)
        assert succeeded(entry), entry["status"]
        assert "started when queued" in json.dumps(entry["outputs"]) or prompt_id == first
    assert len(sent_prompts(service)) == running + 3  # each take created once
    listed = rows(queued_comfy)
    assert [listed[name]["started_when_queued"] for name in names] == [True] * 3
    assert all(listed[name]["status"] == "succeeded" for name in names)


def test_a_storyboard_of_literal_shot_builders_starts_early_and_its_node_reuses_it(
    queued_comfy: ComfyServer, service: SandboxThread, clock: Clock
) -> None:
    first, running = blocker(queued_comfy, service)
    graph = shot_builder_chain([5, 4.5, 5.5], "15")  # 5: an int the FLOAT input makes 5.0
    prompt_id = queue(queued_comfy, graph)
    wait_sent(service, running + 1)
    sent = service.call(lambda s: s.received.creates[-1].body)
    assert [shot["duration"] for shot in sent["shots"]] == [5, 4.5, 5.5]
    finish_tasks(clock)
    history(queued_comfy, first)
    entry = history(queued_comfy, prompt_id)
    assert succeeded(entry), entry["status"]
    assert "started when queued" in json.dumps(entry["outputs"]["4"])
    assert len(sent_prompts(service)) == running + 1  # the node reused the early take


TEXT_EVENT = 3  # ComfyUI's BinaryEventTypes.TEXT: progress text on a node


class Listener:
    """A websocket client of ComfyUI collecting the node texts sent to it."""

    def __init__(self, comfy: ComfyServer, client_id: str) -> None:
        self.texts: list[tuple[str, str]] = []
        self._url = comfy.url.replace("http", "ws", 1) + f"/ws?clientId={client_id}"
        self._loop = asyncio.new_event_loop()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.daemon = True
        self._thread.start()
        assert self._connected.wait(WAIT_S), "the websocket did not connect"

    def _run(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):  # `stop` cancels the listening
            self._loop.run_until_complete(self._listen())
        self._loop.close()

    async def _listen(self) -> None:
        import aiohttp

        async with aiohttp.ClientSession() as session, session.ws_connect(self._url) as ws:
            self._connected.set()
            async for message in ws:
                if message.type == aiohttp.WSMsgType.BINARY:
                    self._read(message.data)
                elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    return

    def _read(self, data: bytes) -> None:
        (event,) = struct.unpack(">I", data[:4])
        if event != TEXT_EVENT:
            return
        (size,) = struct.unpack(">I", data[4:8])
        node = data[8 : 8 + size].decode()
        self.texts.append((node, data[8 + size :].decode()))

    def stop(self) -> None:
        for task in asyncio.all_tasks(self._loop):
            self._loop.call_soon_threadsafe(task.cancel)
        self._thread.join(10)


def test_started_when_queued_is_told_on_the_node_to_the_client_that_queued_it(
    queued_comfy: ComfyServer, service: SandboxThread, clock: Clock
) -> None:
    mine, other = Listener(queued_comfy, "queuer"), Listener(queued_comfy, "someone-else")
    try:
        first, running = blocker(queued_comfy, service)
        prompt_id = queue(queued_comfy, text_graph(f"told {uuid.uuid4().hex[:6]}"), client="queuer")
        wait_sent(service, running + 1)
        wait_until(
            lambda: any(n == "1" and "started when queued" in t for n, t in mine.texts),
            WAIT_S,
            "the text on the queuing client's node",
        )
        finish_tasks(clock)
        history(queued_comfy, first)
        assert succeeded(history(queued_comfy, prompt_id))
        assert not any("started when queued" in text for _, text in other.texts)
    finally:
        mine.stop()
        other.stop()


def test_a_prompt_queued_again_after_its_task_failed_creates_nothing_when_queued(
    queued_comfy: ComfyServer, service: SandboxThread, clock: Clock
) -> None:
    graph = text_graph(f"fails {uuid.uuid4().hex[:6]} {FAIL_MARKER}")
    first = queue(queued_comfy, graph, on=False)
    sent = len(wait_sent(service, len(sent_prompts(service)) + 1))
    finish_tasks(clock)
    assert not succeeded(history(queued_comfy, first))  # the take is FAILED in the journal
    listener = Listener(queued_comfy, "again")
    try:
        # ComfyUI serves the creation node from its cache: a task created now would go unused.
        again = queue(queued_comfy, graph, client="again")

        def told_or_sent() -> bool:
            return ("1", NOT_EARLY) in listener.texts or len(sent_prompts(service)) > sent

        wait_until(told_or_sent, WAIT_S, "the early start's outcome")
        history(queued_comfy, again)
    finally:
        listener.stop()
    assert len(sent_prompts(service)) == sent  # no second create, when queued or when run
    assert ("1", NOT_EARLY) in listener.texts


def test_with_the_switch_off_nothing_is_sent_before_the_prompt_runs(
    queued_comfy: ComfyServer, service: SandboxThread, clock: Clock
) -> None:
    first, running = blocker(queued_comfy, service)
    off_name, on_name = (f"{word} {uuid.uuid4().hex[:6]}" for word in ("off", "on"))
    off = queue(queued_comfy, text_graph(off_name), on=False)
    plain = queue(queued_comfy, text_graph(off_name + " plain"), on=None)  # an API client
    on = queue(queued_comfy, text_graph(on_name))
    assert wait_sent(service, running + 1)[running:] == [on_name]
    finish_tasks(clock)
    history(queued_comfy, first)
    for count, prompt_id in ((running + 2, off), (running + 3, plain)):
        wait_sent(service, count)  # sent when it runs, after the first prompt
        finish_tasks(clock)
        assert succeeded(history(queued_comfy, prompt_id))
    assert succeeded(history(queued_comfy, on))
    # The ones queued off were sent only when they ran, after the one queued on.
    assert sent_prompts(service)[running:] == [on_name, off_name, off_name + " plain"]
    listed = rows(queued_comfy)
    assert (listed[off_name]["started_when_queued"], listed[on_name]["started_when_queued"]) == (
        False,
        True,
    )


def _budgeted_profile(comfy: ComfyServer, service: SandboxThread, budget: float) -> str:
    path = comfy.base_dir / "freesora-config.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    name = "budget" + uuid.uuid4().hex[:8]
    profile = {
        "api_key": "sk-sandbox-budget-" + uuid.uuid4().hex,
        "daily_budget": budget,
        "base_url": service.base_url,
    }
    data.setdefault("profiles", {})[name] = profile
    path.write_text(json.dumps(data), encoding="utf-8")
    return name


def test_a_prompt_whose_early_takes_pass_the_daily_budget_is_refused_at_queue_time(
    queued_comfy: ComfyServer, service: SandboxThread
) -> None:
    price = estimate_body(PRO)
    profile = _budgeted_profile(queued_comfy, service, 1.5 * price)  # room for one take
    before = len(sent_prompts(service))
    graph = text_graph("over the budget", profile=profile, batch_size=2)
    graph["2"]["inputs"]["profile"] = profile
    body = {"prompt": graph, "extra_data": {"freesora_start_when_queued": True}}
    status, answer = queued_comfy.request("POST", "/prompt", body)
    assert status == 400, answer
    details = json.dumps(answer["node_errors"]["1"])
    assert "Daily budget reached" in details, details
    assert "Nothing was sent" in details, details
    assert len(sent_prompts(service)) == before  # nothing started, nothing sent


def test_a_prompt_with_an_output_of_its_own_starts_early_and_runs_that_output_too(
    queued_comfy: ComfyServer, service: SandboxThread, clock: Clock
) -> None:
    first, running = blocker(queued_comfy, service)
    name = f"with preview {uuid.uuid4().hex[:6]}"
    graph = text_graph(name)
    graph["7"] = {"class_type": "PrimitiveString", "inputs": {"value": "not a video"}}
    graph["8"] = {"class_type": "PreviewAny", "inputs": {"source": ["7", 0]}}
    prompt_id = queue(queued_comfy, graph)
    assert wait_sent(service, running + 1)[running:] == [name]
    finish_tasks(clock)
    history(queued_comfy, first)
    entry = history(queued_comfy, prompt_id)
    assert succeeded(entry), entry["status"]
    assert "not a video" in json.dumps(entry["outputs"]["8"])
    assert "3" in entry["outputs"]  # the video saved
    assert len(sent_prompts(service)) == running + 1


def _two_branches(a: str, b: str) -> dict[str, Any]:
    graph = text_graph(a)
    other = text_graph(b)
    for node_id, node in other.items():
        shifted = copy.deepcopy(node)
        for name, value in shifted["inputs"].items():
            if isinstance(value, list):
                shifted["inputs"][name] = [str(int(value[0]) + 10), value[1]]
        graph[str(int(node_id) + 10)] = shifted
    return graph


def test_partial_execution_starts_only_the_takes_of_the_chosen_outputs(
    queued_comfy: ComfyServer, service: SandboxThread, clock: Clock
) -> None:
    first, running = blocker(queued_comfy, service)
    chosen, left = (f"{word} {uuid.uuid4().hex[:6]}" for word in ("chosen", "left out"))
    graph = _two_branches(chosen, left)
    prompt_id = queue(queued_comfy, graph, partial_execution_targets=["3"])
    later = f"later {uuid.uuid4().hex[:6]}"
    queue(queued_comfy, text_graph(later))  # queued after: its start shows the first's is done
    assert sorted(wait_sent(service, running + 2)[running:]) == sorted([chosen, later])
    finish_tasks(clock)
    history(queued_comfy, first)
    entry = history(queued_comfy, prompt_id)
    assert succeeded(entry), entry["status"]
    assert "13" not in entry["outputs"]
    assert left not in sent_prompts(service)
    assert left not in rows(queued_comfy)


def running_prompt(comfy: ComfyServer) -> str | None:
    _, queued = comfy.request("GET", "/queue")
    running = queued["queue_running"]
    return str(running[0][1]) if running else None


def test_deleted_cleared_and_interrupted_prompts_keep_their_started_tasks_paid_once(
    queued_comfy: ComfyServer, service: SandboxThread, clock: Clock
) -> None:
    first, running = blocker(queued_comfy, service)
    names = [f"kept {n} {uuid.uuid4().hex[:6]}" for n in range(3)]
    graphs = [text_graph(name) for name in names]
    deleted, interrupted, cleared = (queue(queued_comfy, graph) for graph in graphs)
    wait_sent(service, running + 3)
    assert queued_comfy.request("POST", "/queue", {"delete": [deleted]})[0] == 200
    queued_comfy.interrupt()  # the first prompt stops; the next one runs
    history(queued_comfy, first)
    wait_until(lambda: running_prompt(queued_comfy) == interrupted, WAIT_S, "the next prompt")
    assert queued_comfy.request("POST", "/queue", {"clear": True})[0] == 200
    queued_comfy.interrupt()  # stopped while its Video Result waits for its early task
    assert not succeeded(history(queued_comfy, interrupted))
    finish_tasks(clock)
    listed = rows(queued_comfy)
    for name in names:
        assert listed[name]["started_when_queued"] is True
        assert listed[name]["status"] == "created"  # collectable from the tab, Task History
        assert listed[name]["task_id"]
    _, left = queued_comfy.request("GET", "/queue")
    assert cleared not in json.dumps(left)
    # Queued again as they were: each reuses its task, nothing is created a second time.
    for graph in graphs:
        entry = history(queued_comfy, queue(queued_comfy, graph))
        assert succeeded(entry), entry["status"]
    assert len(sent_prompts(service)) == running + 3


def test_a_comfyui_killed_with_started_tasks_finds_each_in_the_journal_never_sent_twice(
    tmp_path: Path, host: Host, service: SandboxThread, clock: Clock
) -> None:
    base = tmp_path / "comfy-killed"
    base.mkdir()
    comfy = start_with_pack(host, base, service.base_url, KEY, PACK_ENTRY, REPO_ROOT)
    try:
        _, running = blocker(comfy, service)
        names = [f"killed {n} {uuid.uuid4().hex[:6]}" for n in range(2)]
        graphs = [text_graph(name) for name in names]
        for graph in graphs:
            queue(comfy, graph)
        wait_sent(service, running + 2)
        wait_until(lambda: all(rows(comfy).get(n, {}).get("task_id") for n in names), WAIT_S, "ids")
        comfy.process.kill()  # kill -9
        comfy.process.wait(10)
    finally:
        comfy.stop()
    env = pack_env(service.base_url, base / "freesora-config.json", FREESORA_API_KEY=KEY)
    restarted = start_host(host, base, env)
    try:
        listed = rows(restarted)
        for name in names:
            assert (listed[name]["status"], listed[name]["started_when_queued"]) == (
                "created",
                True,
            )
        finish_tasks(clock)
        for graph in graphs:
            entry = history(restarted, queue(restarted, graph))
            assert succeeded(entry), entry["status"]
        assert len(sent_prompts(service)) == running + 2  # none created again
    finally:
        restarted.stop()
