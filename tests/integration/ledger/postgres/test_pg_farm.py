"""A farm of real worker processes on one account and one PostgreSQL ledger, against the sandbox
in a process of its own: the load test (admission keeps the account under its limit) and the
crash test (a job re-run on another worker after a kill -9 reuses the paid task)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

WORKER = Path(__file__).with_name("farm_worker.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sandbox_process(request: pytest.FixtureRequest) -> Iterator[str]:
    """`freesora sandbox` in its own process; the test's marker-free params via indirect."""
    args = [str(a) for a in request.param]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "freesora.cli", "sandbox", "--port", str(port), *args],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    process.stderr.readline()  # its start-up line: it listens from here on
    # Its access log must be read, or a full pipe would stall the sandbox mid-test.
    threading.Thread(target=process.stderr.read, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def sandbox_state(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(base + "/sandbox/state", timeout=10) as answer:
        return dict(json.load(answer))


@pytest.fixture
def worker() -> Iterator[Any]:
    """Starts worker processes; any still running when the test ends is killed."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, str(WORKER), *args], stdout=subprocess.PIPE, text=True
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize(
    "sandbox_process", [["--task-seconds", "0.5", "--max-in-flight", "5"]], indirect=True
)
def test_three_workers_of_ten_creates_stay_within_five_in_flight_with_no_limit_answers(
    pg_url: str,
    sandbox_process: str,
    worker: Any,
) -> None:
    workers = [worker("load", pg_url, sandbox_process, "10", "5", "100") for _ in range(3)]
    results = []
    for process in workers:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))
    ids = [task_id for result in results for task_id in result["ids"]]
    state = sandbox_state(sandbox_process)
    assert len(ids) == len(set(ids)) == 30
    assert state["tasks_created"] == 30
    assert state["limits"]["refused"] == 0
    assert [r["limited"] for r in results] == [0, 0, 0]
    assert state["limits"]["peak_in_flight"] <= 5
    assert sum(r["waits"] for r in results) > 0  # admission did hold creates back


@pytest.mark.parametrize("sandbox_process", [["--task-seconds", "2"]], indirect=True)
def test_a_job_rerun_on_another_worker_after_a_kill_reuses_the_task_and_saves_the_video(
    pg_url: str,
    sandbox_process: str,
    tmp_path: Path,
    worker: Any,
) -> None:
    worker_a = worker("job", pg_url, sandbox_process, "a paper boat", str(tmp_path / "a"))
    assert worker_a.stdout is not None
    said = worker_a.stdout.readline().split()
    assert said[0] == "created"
    os.kill(worker_a.pid, signal.SIGKILL)  # mid-wait: the task is paid, its video not saved
    worker_a.wait(timeout=10)
    (tmp_path / "b").mkdir()
    worker_b = worker("job", pg_url, sandbox_process, "a paper boat", str(tmp_path / "b"))
    out, _ = worker_b.communicate(timeout=60)
    assert worker_b.returncode == 0
    lines = out.strip().splitlines()
    assert lines[0] == f"reused {said[1]}"
    saved = Path(lines[1].removeprefix("saved "))
    assert saved.parent == tmp_path / "b"
    assert saved.stat().st_size > 0
    assert sandbox_state(sandbox_process)["tasks_created"] == 1
