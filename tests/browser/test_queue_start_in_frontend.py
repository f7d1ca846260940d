""" "Start tasks when queued" in a real ComfyUI and headless Chromium: the setting and what it
says, the switch in the extra_data of every prompt the page queues (read back from ComfyUI's
/history, as the server received it), the environment winning, and the one-time card when two
FreeSora prompts wait with the switch off. Each test runs in the classic canvas and Nodes 2.0.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from comfy_host.hosts import Host
from test_web_extension import load, node_id, open_settings, page  # noqa: F401  (the fixture)
from web_host import BROWSER_KEY, WebHost, running_web_host, shoot
from web_tasks import collected, create_sandbox_task, run_the_open_workflow

SETTING = "FreeSora.Queue.StartWhenQueued"
SEEDS = itertools.count(random.randrange(1, 2**30))  # fresh seeds for this session's prompts
FIELD = "freesora_start_when_queued"
HINT_SHOWN = "freesora.queueStartHintShown"
# The page's api module: the frontend exposes its modules as window.comfyAPI (1.27 to 1.58).
API = "window.comfyAPI.api.api"
# Another extension's wrapper around fetchApi, installed after the pack's: both must apply.
OTHER_WRAPPER = f"""() => {{
    const api = {API}, before = api.fetchApi;
    api.fetchApi = async function (route, options, ...rest) {{
        if (route === "/prompt" && options?.body) {{
            const body = JSON.parse(options.body);
            body.extra_data = {{ ...body.extra_data, other_extension: "kept" }};
            options = {{ ...options, body: JSON.stringify(body) }};
        }}
        return before.call(this, route, options, ...rest);
    }};
}}"""

# The FreeSora tab's collection prompt, queued through the page's api.queuePrompt.
COLLECT_THROUGH_THE_API = f"""async (id) => {{
    const scripts = await (await fetch("/extensions")).json();  // what the frontend loaded
    const pack = scripts.find(path => path.endsWith("/freesora.js"));
    const inbox = await import(new URL("freesora_inbox.js", location.origin + pack));
    await {API}.queuePrompt(0, {{ output: inbox.collectPrompt(id), workflow: null }});
}}"""


def extra_data(entry: dict[str, Any]) -> dict[str, Any]:
    """The extra_data ComfyUI received with a prompt: the 4th item of its history tuple."""
    return dict(entry["prompt"][3])


def set_switch(tab: Any, on: bool) -> None:
    tab.evaluate(f"async (on) => app.extensionManager.setting.set('{SETTING}', on)", on)


def test_the_switch_goes_in_the_extra_data_of_every_prompt_the_page_queues(
    page: Any,  # noqa: F811
    web_host: WebHost,
) -> None:
    host = web_host
    host.server.request("POST", "/freesora/key", {"api_key": BROWSER_KEY})
    page.evaluate(f"() => localStorage.setItem('{HINT_SHOWN}', '1')")  # no card here
    assert page.evaluate(f"() => app.extensionManager.setting.get('{SETTING}')") is False
    load(page, "freesora_text_to_video.json")
    set_switch(page, False)
    off = extra_data(run_the_open_workflow(page, host))
    assert off[FIELD] is False
    assert off["extra_pnginfo"]["workflow"]["nodes"]  # the core's own fields are untouched

    page.evaluate(OTHER_WRAPPER)
    set_switch(page, True)
    try:
        on = extra_data(run_the_open_workflow(page, host))
        assert on[FIELD] is True
        assert on["other_extension"] == "kept"
        # A prompt another part of the page queues through api.queuePrompt (the FreeSora
        # tab's Collect here) carries it too.
        task_id = create_sandbox_task(host)
        page.evaluate(COLLECT_THROUGH_THE_API, task_id)
        assert extra_data(collected(host, task_id))[FIELD] is True
    finally:
        set_switch(page, False)


def test_the_setting_says_credits_are_spent_when_a_prompt_is_queued(
    page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    dialog = open_settings(page)
    info = page.locator("[data-freesora=queue-start-info]")
    info.scroll_into_view_if_needed()
    info.wait_for(state="visible", timeout=10_000)
    text = info.inner_text()
    assert "Credits are spent when a prompt is queued, not when it runs" in text
    assert "does not undo a task already started" in text
    assert "stays in the FreeSora tab" in text
    assert "FREESORA_START_WHEN_QUEUED" not in text  # not set for this ComfyUI
    switch = dialog.get_by_text("Start tasks when queued (credits are spent when a prompt is")
    switch.first.wait_for(state="visible", timeout=10_000)
    shoot(page, tmp_path, "queue_setting", dialog)


def test_two_freesora_prompts_waiting_with_the_switch_off_bring_one_card_that_opens_the_setting(
    page: Any,  # noqa: F811
    web_host: WebHost,
    tmp_path: Path,
) -> None:
    host = web_host
    open_text_to_video(page, host, hint_shown=False)
    set_switch(page, False)
    card = page.locator("[data-freesora=queue-hint]")
    try:
        with long_tasks(host):
            queue_a_new_take(page)  # a new seed: not the cached run of an earlier test
            page.wait_for_timeout(500)
            assert card.count() == 0  # one FreeSora prompt: nothing to say
            queue_a_new_take(page)
            card.wait_for(state="visible", timeout=10_000)
            text = card.inner_text()
            assert "Start tasks when queued" in text
            assert "Credits are then spent when a prompt is queued" in text
            assert page.evaluate(f"() => localStorage.getItem('{HINT_SHOWN}')") == "1"
            shoot(page, tmp_path, "queue_toast")
            card.locator("[data-freesora=queue-hint-open]").click()
            info = page.locator("[data-freesora=queue-start-info]")
            info.wait_for(state="visible", timeout=10_000)
            assert card.count() == 0
            page.keyboard.press("Escape")
            queue_a_new_take(page)  # a third: said once only
            page.wait_for_timeout(800)
            assert card.count() == 0
    finally:
        host.server.request("POST", "/queue", {"clear": True})
        host.server.request("POST", "/interrupt", {})
        wait_for_an_empty_queue(host)


def open_text_to_video(tab: Any, host: WebHost, *, hint_shown: bool) -> None:
    """The Text to Video example open, a key stored, the card said already or not yet."""
    host.server.request("POST", "/freesora/key", {"api_key": BROWSER_KEY})
    tab.evaluate(
        "([key, shown]) => shown ? localStorage.setItem(key, '1') : localStorage.removeItem(key)",
        [HINT_SHOWN, hint_shown],
    )
    load(tab, "freesora_text_to_video.json")


@contextlib.contextmanager
def long_tasks(host: WebHost) -> Iterator[None]:
    """The sandbox's tasks take an hour: a prompt running holds the queue, waiting for its video."""
    host.sandbox.call(lambda sandbox: setattr(sandbox.state, "task_seconds", 3600.0))
    try:
        yield
    finally:
        host.sandbox.call(lambda sandbox: setattr(sandbox.state, "task_seconds", 1.0))


def queue_a_new_take(tab: Any) -> None:
    """Press Queue for a new take (a new seed: not a cached run)."""
    new_seed(tab)
    tab.evaluate("async () => { await app.queuePrompt(0, 1) }")


def new_seed(tab: Any) -> None:
    """A seed no run of the session has used on each creation node: the next prompt is a new
    take, not a cached run nor a take the journal holds from an earlier test."""
    tab.evaluate(
        """seed => app.graph.nodes.forEach(node => {
            const widget = node.widgets?.find(w => w.name === 'seed');
            if (widget) widget.value = seed; })""",
        next(SEEDS),
    )


def wait_for_an_empty_queue(host: WebHost, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _, queue = host.server.request("GET", "/queue")
        if not queue["queue_running"] and not queue["queue_pending"]:
            return
        time.sleep(0.3)
    raise AssertionError(f"the queue did not empty\n{host.server.tail()}")


@pytest.fixture(scope="module")
def env_on_host(tmp_path_factory: pytest.TempPathFactory, host: Host) -> Iterator[WebHost]:
    """A ComfyUI started with FREESORA_START_WHEN_QUEUED=1."""
    base = tmp_path_factory.mktemp("queue-start-env")
    with running_web_host(host, base, FREESORA_START_WHEN_QUEUED="1") as running:
        yield running


def test_the_environment_wins_and_the_setting_says_so(env_on_host: WebHost, chromium: Any) -> None:
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    try:
        opened = context.new_page()
        opened.goto(env_on_host.server.url)
        opened.wait_for_function(
            "() => window.app?.graph && app.extensions?.some(e => e.name === 'FreeSora.Frontend')",
            timeout=90_000,
        )
        opened.wait_for_timeout(1500)
        open_settings(opened)
        said = opened.locator("[data-freesora=queue-start-env]")
        said.scroll_into_view_if_needed()
        said.wait_for(state="visible", timeout=10_000)
        assert said.inner_text() == (
            "FREESORA_START_WHEN_QUEUED is set in ComfyUI's environment: on for every prompt, "
            "whatever this switch says."
        )
    finally:
        context.close()
