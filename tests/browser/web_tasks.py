"""Tasks for the inbox checks: made on the sandbox and journaled, run from the page, collected.

The ComfyUI under test reads the same journal (web_host's FREESORA_JOURNAL), so what is
recorded here is what its /freesora/tasks lists.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
import urllib.request
from typing import Any

from web_host import BROWSER_KEY, WebHost

from freesora.ledger import FileLedger

SANDBOX_PROMPT = "a lighthouse in a storm"


def create_sandbox_task(host: WebHost) -> str:
    body = {"model": "sora-2-text-to-video", "prompt": SANDBOX_PROMPT, "nFrames": "10"}
    request = urllib.request.Request(
        host.sandbox.base_url + "/api/v1/video/sora-pro",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {BROWSER_KEY}", "Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as resp:
        task_id = str(json.loads(resp.read())["data"]["taskId"])
    ledger = FileLedger(host.journal_file)  # the file the ComfyUI under test reads
    # Playwright's sync API runs an event loop in this thread: the ledger call gets its own.
    remember = ledger.remember(task_id, model=body["model"], summary=body["prompt"])
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, remember).result(timeout=30)
    return task_id


def collected(host: WebHost, task_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _, history = host.server.request("GET", "/history")
        for entry in (history or {}).values():
            prompt = entry["prompt"][2]
            ours = any(n["inputs"].get("task_id") == task_id for n in prompt.values())
            if ours and entry["status"].get("completed") is not None:
                return dict(entry)
        time.sleep(0.3)
    raise AssertionError(f"no finished collection of {task_id}\n{host.server.tail()}")


def run_the_open_workflow(page: Any, host: WebHost, timeout_s: float = 90.0) -> dict[str, Any]:
    """Press Queue on the page (app.queuePrompt) and return the history entry of that run."""
    _, history = host.server.request("GET", "/history")
    before = set(history or {})
    page.evaluate("async () => { await app.queuePrompt(0, 1) }")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _, history = host.server.request("GET", "/history")
        for prompt_id, entry in (history or {}).items():
            if prompt_id not in before and entry["status"].get("completed") is not None:
                return dict(entry)
        time.sleep(0.3)
    raise AssertionError(f"the queued workflow did not finish\n{host.server.tail()}")
