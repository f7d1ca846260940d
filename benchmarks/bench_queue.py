"""A queue of prompts in a real ComfyUI: one prompt, N queued with "Start tasks when queued" off,
and N queued with it on, side by side.

Run: `FREESORA_COMFYUI_DIR=... FREESORA_COMFYUI_PYTHON=... python benchmarks/bench_queue.py
[--prompts 6] [--task-seconds 12]` (the ComfyUI suites' variables: tests/comfy_host). Each
prompt is Text to Video -> Video Result -> Save Video with a seed of its own, against the
sandbox (in this process, on 127.0.0.1) whose tasks take the chosen time. With the switch off
ComfyUI runs the prompts one after another, each waiting for its task; with it on, each
prompt's task starts as it enters the queue, so the queue takes about one task time plus the
downloads. Target: N on within 2x one prompt. Exits 1 on a miss; without a ComfyUI it says
it is skipped and exits 0, like the ComfyUI suites.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from comfy_host.graphs import PACK_ENTRY, REPO_ROOT, fresh_seed, load_workflow
from comfy_host.hosts import SKIP_REASON, Host
from comfy_host.server import ComfyServer, SandboxThread, start_with_pack

TARGET = 2.0
KEY = "sk-sandbox-bench-queue"


def graph(tag: str) -> dict[str, Any]:
    prompt = load_workflow("text_to_video.json")
    prompt["1"]["inputs"].update(prompt=f"A paper boat, {tag}", seed=fresh_seed())
    prompt["2"]["inputs"]["poll_interval_s"] = 0.5
    prompt["3"]["inputs"]["filename_prefix"] = "video/bench"
    return prompt


def run_queue(comfy: ComfyServer, count: int, *, on: bool, timeout_s: float) -> float:
    """Seconds from queueing `count` prompts at once until the last is done; each must save
    its video."""
    extra = {"freesora_start_when_queued": on}
    start = time.perf_counter()
    ids = []
    for _ in range(count):
        body = {"prompt": graph(uuid.uuid4().hex[:8]), "client_id": "bench", "extra_data": extra}
        status, answer = comfy.request("POST", "/prompt", body)
        if status != 200:
            raise SystemExit(f"/prompt refused the graph: {answer}")
        ids.append(answer["prompt_id"])
    for prompt_id in ids:
        entry = comfy.wait_history(prompt_id, timeout_s)
        if entry["status"]["status_str"] != "success" or "3" not in entry["outputs"]:
            raise SystemExit(f"prompt {prompt_id} saved no video: {entry['status']}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=6)
    parser.add_argument("--task-seconds", type=float, default=12.0)
    args = parser.parse_args()
    host = Host.from_env()
    if host is None:
        print(f"skipped: {SKIP_REASON}")
        return 0
    count, task_s = args.prompts, args.task_seconds
    timeout_s = 4 * count * task_s + 60
    sandbox = SandboxThread(task_seconds=task_s, default_credits=10_000_000).start()
    base = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    comfy = start_with_pack(host, base, sandbox.base_url, KEY, PACK_ENTRY, REPO_ROOT)
    try:
        one = run_queue(comfy, 1, on=False, timeout_s=timeout_s)
        off = run_queue(comfy, count, on=False, timeout_s=timeout_s)
        on = run_queue(comfy, count, on=True, timeout_s=timeout_s)
        creates = sandbox.call(lambda s: len(s.received.creates))
    finally:
        comfy.stop()
        sandbox.stop()
    print(f"{host.describe()}; sandbox tasks of {task_s:g} s")
    print(f"{'one prompt':<28}{one:8.1f} s")
    print(f"{f'{count} queued, switch off':<28}{off:8.1f} s  {off / one:5.1f}x one")
    print(f"{f'{count} queued, switch on':<28}{on:8.1f} s  {on / one:5.1f}x one")
    print(f"creates sent: {creates} for {1 + 2 * count} prompts (one task each)")
    ok = on <= TARGET * one and creates == 1 + 2 * count
    print(f"target: {count} on within {TARGET:g}x one prompt, one create each: "
          f"{'met' if ok else 'MISSED'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
