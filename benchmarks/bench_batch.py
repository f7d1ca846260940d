"""Batches against a slow service: creating 8 takes, 8 image tasks, and awaiting 8 tasks, vs one.

Run: `python benchmarks/bench_batch.py`. The sandbox runs in its own process (as the real
service would: its work is not the client's), enforces upstream's account limits (20 tasks in
flight, 20 creates per 10 s) and answers every create and status call after 200 ms, like a
distant service. Each measurement uses a fresh account (key), so one's creates never eat into
the next one's window. Targets: 8 takes (batch_size 8) created in at most 1.3x the time of one,
an IMAGE batch of 8 in 2x (each image is uploaded, and decoded by the sandbox on the same two
cores), and 8 tasks that each take T awaited in about T, not 8T. Exits 1 on a miss.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import statistics
import sys
import time

import aiohttp
import numpy as np

from freesora.config import ApiKey, Settings
from freesora.create import PlannedTask, submit_tasks
from freesora.create.plan import plan_image_tasks
from freesora.sandbox import SANDBOX_KEY
from freesora.schemas import build_create_request
from freesora.service.client import FreeSoraClient
from freesora.service.polling import wait_for_task

LATENCY_S, TASK_S, RUNS = 0.2, 3.0, 3
ACCOUNTS = itertools.count(1)
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


async def time_takes(client: FreeSoraClient, count: int) -> float:
    """`count` takes of one text request, as Text to Video's batch_size makes them."""
    take = PlannedTask(build_create_request(model="sora-2-text-to-video", prompt="A kite"))
    start = time.perf_counter()
    ids = [s.task_id for s in await submit_tasks(client, [take] * count)]
    assert len(set(ids)) == count
    return time.perf_counter() - start


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
    await asyncio.gather(*(wait_for_task(client, task_id, interval_s=0.25) for task_id in ids))
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_sandbox(port: int) -> asyncio.subprocess.Process:
    args = ["--port", str(port), "--task-seconds", str(TASK_S), "--latency", str(LATENCY_S)]
    args += ["--max-in-flight", "20", "--creates-per-window", "20"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "freesora.cli", "sandbox", *args, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    await process.stderr.readline()  # its start-up line: it listens from here on
    return process


async def main() -> int:
    rows = []
    port = free_port()
    sandbox = await start_sandbox(port)
    try:
        async with aiohttp.ClientSession() as session:
            rows = await measure_all(session, f"http://127.0.0.1:{port}")
    finally:
        sandbox.terminate()
        await sandbox.wait()
    return report(rows)


def fresh_client(session: aiohttp.ClientSession, base_url: str) -> FreeSoraClient:
    key = f"{SANDBOX_KEY}-bench{next(ACCOUNTS)}"  # the sandbox opens an account on first use
    return FreeSoraClient(session, Settings(base_url, ApiKey(key), "bench"))


async def measure_all(
    session: aiohttp.ClientSession, base_url: str
) -> list[tuple[str, float, float, float]]:
    rows = []
    steps = (("takes", time_takes), ("images", time_creates), ("wait", time_waits))
    for label, measure in steps:
        one = statistics.median(
            [await measure(fresh_client(session, base_url), 1) for _ in range(RUNS)]
        )
        eight = statistics.median(
            [await measure(fresh_client(session, base_url), 8) for _ in range(RUNS)]
        )
        rows.append((label, one, eight, eight / one))
    return rows


def report(rows: list[tuple[str, float, float, float]]) -> int:
    print(f"sandbox latency {LATENCY_S * 1000:.0f} ms per call, tasks take {TASK_S:g} s")
    print(f"{'step':<8}{'1 task s':>10}{'8 tasks s':>11}{'ratio':>8}  target")
    # "takes": batch_size 8 of one text request; "images": an IMAGE batch of 8 (720p each).
    # Creates go out together (the account allows 20): one round of 200 ms for 8 as for 1;
    # images add their upload and the sandbox decoding each. Waits overlap completely.
    targets = {"takes": 1.3, "images": 2.0, "wait": 1.5}
    ok = True
    for label, one, eight, ratio in rows:
        met = ratio <= targets[label]
        ok = ok and met
        verdict = "met" if met else "MISSED"
        print(f"{label:<8}{one:>10.2f}{eight:>11.2f}{ratio:>7.2f}x  <= {targets[label]}x {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
