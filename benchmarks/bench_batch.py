"""Batches against a slow service: creating 8 tasks and awaiting 8 tasks, vs doing one.

Run: `python benchmarks/bench_batch.py`. The sandbox answers every create and status call after
200 ms (`latency_s`), like a distant service. Targets: an IMAGE batch of 8 creates its 8 tasks in
at most ~2x the time of one (the client sends 4 creates at a time, upstream's burst limit being
about 20 per 10 s); 8 tasks that each take T are awaited in about T, not 8T. Exits 1 on a miss.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

import aiohttp
import numpy as np

from freesora.client import FreeSoraClient
from freesora.config import ApiKey, Settings
from freesora.jobs import plan_image_tasks
from freesora.sandbox import SANDBOX_KEY, run_sandbox
from freesora.submit import submit_tasks

LATENCY_S, TASK_S, RUNS = 0.2, 3.0, 3
WIDGETS = {
    "model": "sora-2-image-to-video",
    "prompt": "The scene comes to life",
    "aspect_ratio": "landscape",
    "n_frames": "10",
    "size": "standard",
    "remove_watermark": True,
    "is_public": True,
}


def image_batch(count: int) -> np.ndarray:
    """`count` smooth, photo-like 720p frames (random noise would make multi-MB uploads)."""
    y, x = np.mgrid[0:720, 0:1280].astype(np.float32)
    frame = np.stack([0.5 + 0.5 * np.sin(x / 90), 0.5 + 0.5 * np.cos(y / 60), (x + y) / 2000], -1)
    return np.repeat(frame[None], count, axis=0)


async def time_creates(client: FreeSoraClient, count: int) -> float:
    planned = plan_image_tasks(image_batch(count), fit="crop", **WIDGETS)
    start = time.perf_counter()
    ids = [s.task_id for s in await submit_tasks(client, planned)]
    assert len(ids) == count
    return time.perf_counter() - start


async def time_waits(client: FreeSoraClient, count: int) -> float:
    planned = plan_image_tasks(image_batch(count), fit="crop", **WIDGETS)
    ids = [s.task_id for s in await submit_tasks(client, planned)]
    start = time.perf_counter()
    await asyncio.gather(*(client.wait(task_id, interval_s=0.25) for task_id in ids))
    return time.perf_counter() - start


async def main() -> int:
    rows = []
    async with (
        run_sandbox(task_seconds=TASK_S, latency_s=LATENCY_S) as running,
        aiohttp.ClientSession() as session,
    ):
        client = FreeSoraClient(session, Settings(running.base_url, ApiKey(SANDBOX_KEY), "bench"))
        for label, measure in (("create", time_creates), ("wait", time_waits)):
            one = statistics.median([await measure(client, 1) for _ in range(RUNS)])
            eight = statistics.median([await measure(client, 8) for _ in range(RUNS)])
            rows.append((label, one, eight, eight / one))
    print(f"sandbox latency {LATENCY_S * 1000:.0f} ms per call, tasks take {TASK_S:g} s")
    print(f"{'step':<8}{'1 task s':>10}{'8 tasks s':>11}{'ratio':>8}  target")
    targets = {"create": 2.2, "wait": 1.5}
    ok = True
    for label, one, eight, ratio in rows:
        met = ratio <= targets[label]
        ok = ok and met
        verdict = "met" if met else "MISSED"
        print(f"{label:<8}{one:>10.2f}{eight:>11.2f}{ratio:>7.2f}x  <= {targets[label]}x {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
