"""Result links in a real ComfyUI: an expired link is refreshed, a dead one loses no
paid task, and a link to a non-public address is refused at once."""

from __future__ import annotations

from typing import Any

import pytest
from comfy_host.graphs import assert_sample_videos_saved, load_workflow, messages, with_fresh_seeds
from comfy_host.server import ComfyServer, SandboxThread

pytestmark = pytest.mark.comfyui

REFRESHES = 3  # collect.URL_REFRESH_DELAYS_S: 1 + 5 + 15 s of backoff when every link is dead


def _run_as_is(comfy: ComfyServer, prompt: dict[str, Any]) -> dict[str, Any]:
    status, answer = comfy.queue(prompt)
    assert status == 200, answer
    return comfy.wait_history(answer["prompt_id"], timeout_s=120)


def _error_text(entry: dict[str, Any]) -> str:
    [error] = messages(entry, "execution_error")
    return str(error["exception_message"])


def test_an_expired_link_is_refreshed_and_the_video_saved(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    creates, _, downloads = sandbox.request_counts()
    sandbox.call(lambda s: s.faults.add("download", "expired_url", status=403))
    entry = _run_as_is(comfy, with_fresh_seeds(load_workflow("text_to_video.json")))
    assert entry["status"]["status_str"] == "success", messages(entry, "execution_error")
    assert_sample_videos_saved(comfy, entry, 1)
    now_creates, _, now_downloads = sandbox.request_counts()
    assert now_creates == creates + 1
    assert now_downloads == downloads + 2  # the dead link, then the fresh one


def test_a_link_that_stays_dead_names_the_task_and_a_rerun_collects_it_without_a_new_create(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    prompt = with_fresh_seeds(load_workflow("text_to_video.json"))
    creates, _, _ = sandbox.request_counts()
    sandbox.call(lambda s: s.faults.add("download", "expired_url", status=410, times=REFRESHES + 1))
    failed = _run_as_is(comfy, prompt)
    assert failed["status"]["status_str"] == "error"
    text = _error_text(failed)
    [task_id] = sandbox.call(lambda s: list(s.tasks)[-1:])
    assert task_id in text
    assert "HTTP 410" in text
    assert f"freesora wait {task_id}" in text
    assert "Traceback" not in text

    again = _run_as_is(comfy, prompt)  # the same graph, the same seed: the same take
    assert again["status"]["status_str"] == "success", messages(again, "execution_error")
    assert_sample_videos_saved(comfy, again, 1)
    assert sandbox.request_counts()[0] == creates + 1  # one paid create for both runs


def test_a_result_url_on_a_cgnat_address_is_refused_at_once_naming_it(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    _, _, downloads = sandbox.request_counts()
    hostile = "https://100.64.0.1:9/video.mp4"  # CGNAT / a tailnet: not the internet
    sandbox.call(lambda s: s.faults.add("status", "result_url", url=hostile, times=50))
    entry = _run_as_is(comfy, with_fresh_seeds(load_workflow("text_to_video.json")))
    assert entry["status"]["status_str"] == "error"
    text = _error_text(entry)
    assert "100.64.0.1" in text
    assert "not a public address" in text
    assert "Nothing was downloaded" in text
    assert sandbox.request_counts()[2] == downloads
