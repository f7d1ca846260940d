"""A farm's create path: throughput and ledger latency with 1, 3 and 10 worker processes.

Run: `python benchmarks/bench_farm.py` (uses FREESORA_TEST_POSTGRES_URL, or starts a throwaway
PostgreSQL through .ci/postgres.sh). Every worker process sends its creates through the ledger
exactly as the create step does (claim -> admission -> create -> record) against a sandbox in a
process of its own with no added latency, so the figures are the ledger's cost. The client's own
limiter (upstream's 20 creates per 10 s per account) is lifted here, or it alone would set the
pace (3 creates/s per process, whatever the ledger). Side by side: the same workers sharing one
local journal file (FileLedger, no admission), which only works on one machine, and what the
service itself allows those accounts. Prints a table (no target: read it against the file
store's figures and the machine's load).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp

from freesora.config import ApiKey, Settings
from freesora.ledger import Ledger, Take, open_ledger, wait_for_slot
from freesora.sandbox import SANDBOX_KEY
from freesora.schemas import CreateVideoRequest
from freesora.schemas.account_limits import AccountLimits
from freesora.schemas.models import (
    ACCOUNT_CREATES_PER_WINDOW,
    ACCOUNT_LIMIT_MAX,
    ACCOUNT_WINDOW_S,
)
from freesora.service.client import FreeSoraClient

ROOT = Path(__file__).resolve().parents[1]
CREATES_PER_PROCESS, CONCURRENCY = 30, 4
MODEL = "sora-2-text-to-video"
# Far above the creates here: this measures the ledger, not waiting for slots. The admission's
# limits and the client's (each process is an account of its own) are both lifted, to the most
# the account's limits may say.
LIMITS = AccountLimits(max_in_flight=ACCOUNT_LIMIT_MAX, creates_per_window=ACCOUNT_LIMIT_MAX)
# What the service allows one account: the ceiling of a farm with one key per process.
UPSTREAM_PER_S = ACCOUNT_CREATES_PER_WINDOW / ACCOUNT_WINDOW_S


async def worker(location: str, base: str, count: int) -> dict[str, object]:
    ledger: Ledger = await open_ledger(location if "://" in location else Path(location))
    # A key of its own per process (the sandbox opens it with 1000 credits): 10 workers would
    # spend one account's credits. The ledger's work per create is the same.
    key = f"{SANDBOX_KEY}-bench-{os.getpid()}"
    account = await ledger.account("default", key)
    ledger_s: list[float] = []
    slots = asyncio.Semaphore(CONCURRENCY)
    async with aiohttp.ClientSession() as session:
        client = FreeSoraClient(session, Settings(base, ApiKey(key), "bench"), limits=LIMITS)

        async def one(i: int) -> None:
            async with slots:
                request = CreateVideoRequest.model_validate({"model": MODEL, "prompt": f"p{i}"})
                take = Take(account, f"bench-{os.getpid()}", seed=i, slot=0)
                start = time.perf_counter()
                decision = await ledger.claim(take, model=MODEL)
                assert decision.claim is not None
                await wait_for_slot(ledger, decision.claim, check=client.status, limits=LIMITS)
                before_send = time.perf_counter()
                task_id = await client.create(request)
                after_send = time.perf_counter()
                await decision.claim.created(task_id)
                ledger_s.append((before_send - start) + (time.perf_counter() - after_send))

        began = time.time()  # wall clock: comparable across the farm's processes
        await asyncio.gather(*(one(i) for i in range(count)))
        ended = time.time()
    await ledger.close()
    return {"ledger_s": ledger_s, "began": began, "ended": ended}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_farm(location: str, base: str, processes: int) -> tuple[float, list[float]]:
    """`processes` workers at once; (creates per second overall, every create's ledger time)."""
    cmd = [sys.executable, __file__, "--worker", location, base, str(CREATES_PER_PROCESS)]
    workers = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    outputs = [w.communicate(timeout=600)[0] for w in workers]
    if any(w.returncode for w in workers):
        raise SystemExit("a worker failed")
    results = [json.loads(out) for out in outputs]
    # From the first create of the farm to its last: process start-up is not the ledger's.
    elapsed = max(r["ended"] for r in results) - min(r["began"] for r in results)
    times = [t for r in results for t in r["ledger_s"]]
    return processes * CREATES_PER_PROCESS / elapsed, times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def throwaway_postgres() -> tuple[subprocess.Popen[str], str]:
    script = (
        "source .ci/postgres.sh; trap pg_throwaway_stop EXIT; pg_throwaway_start >&2;"
        ' echo "$FREESORA_TEST_POSTGRES_URL"; read -r _'
    )
    cluster = subprocess.Popen(
        ["bash", "-c", script], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert cluster.stdout is not None
    return cluster, cluster.stdout.readline().strip()


def main() -> int:
    cluster = None
    url = os.environ.get("FREESORA_TEST_POSTGRES_URL", "")
    if not url:
        cluster, url = throwaway_postgres()
    port = free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "freesora.cli", "sandbox", "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert sandbox.stderr is not None
    sandbox.stderr.readline()  # its start-up line: it listens from here on
    # Its access log must be read, or a full pipe would stall the sandbox mid-benchmark.
    threading.Thread(target=sandbox.stderr.read, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for processes in (1, 3, 10):
                pg = run_farm(url, base, processes)
                print(f"PostgreSQL, {processes} processes: done", file=sys.stderr, flush=True)
                local = run_farm(str(Path(tmp) / f"tasks-{processes}.jsonl"), base, processes)
                print(f"file, {processes} processes: done", file=sys.stderr, flush=True)
                rows.append((processes, pg, local))
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        if cluster is not None:
            cluster.communicate("\n", timeout=60)
    return report(rows)


def report(rows: list[tuple[int, tuple[float, list[float]], tuple[float, list[float]]]]) -> int:
    print(
        f"{CREATES_PER_PROCESS} creates per process, {CONCURRENCY} at a time; ledger time ="
        " claim + admission + record, per create"
    )
    print(
        f"{'processes':>9} | {'PostgreSQL creates/s':>20} {'ledger p50':>10} {'p95':>8} |"
        f" {'file creates/s':>14} {'ledger p50':>10} {'p95':>8} | {'service allows/s':>16}"
    )
    for processes, (pg_rate, pg_times), (file_rate, file_times) in rows:
        print(
            f"{processes:>9} | {pg_rate:>20.0f} {statistics.median(pg_times) * 1000:>8.1f}ms"
            f" {p95(pg_times) * 1000:>6.1f}ms | {file_rate:>14.0f}"
            f" {statistics.median(file_times) * 1000:>8.1f}ms {p95(file_times) * 1000:>6.1f}ms"
            f" | {processes * UPSTREAM_PER_S:>16.0f}"
        )
    print(
        f"service allows = {ACCOUNT_CREATES_PER_WINDOW:.0f} creates per {ACCOUNT_WINDOW_S:.0f} s"
        " per account, one account per process (the client's limiter, lifted for this run)"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        location, base, count = sys.argv[2], sys.argv[3], int(sys.argv[4])
        print(json.dumps(asyncio.run(worker(location, base, count))))
    else:
        raise SystemExit(main())
