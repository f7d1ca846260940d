"""Cancel inside a real ComfyUI reaches a result download, not only the wait."""

from __future__ import annotations

import time
from typing import Any

import pytest
from comfy_host.graphs import load_workflow, messages, with_fresh_seeds
from comfy_host.server import POLL_S, ComfyServer, SandboxThread

pytestmark = pytest.mark.comfyui


def _wait_until(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(POLL_S / 2)


def test_cancel_stops_a_dripping_download_within_seconds_and_leaves_no_partial_file(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    _, _, downloads = sandbox.request_counts()
    # One byte a second: without the cancel check this download would take hours.
    sandbox.call(lambda s: s.faults.add("download", "drip", seconds=1.0))
    try:
        status, answer = comfy.queue(with_fresh_seeds(load_workflow("text_to_video.json")))
        assert status == 200, answer
        _wait_until(lambda: sandbox.request_counts()[2] > downloads, 60, "the download to start")
        # Videos are kept in output/freesora; the partial file sits beside its name.
        temp = comfy.base_dir / "output" / "freesora"
        _wait_until(lambda: any(temp.rglob("*.part")), 30, "the partial file to appear")
        interrupted_at = time.monotonic()
        comfy.interrupt()
        entry = comfy.wait_history(answer["prompt_id"], timeout_s=30)
        took_s = time.monotonic() - interrupted_at
    finally:
        sandbox.call(lambda s: s.faults.clear())
    assert took_s < 5.0, f"the prompt ended {took_s:.1f} s after /interrupt"
    assert messages(entry, "execution_interrupted"), entry["status"]["messages"]
    assert not messages(entry, "execution_error"), messages(entry, "execution_error")
    assert [p.name for p in temp.rglob("*.part")] == []
