"""Two real ComfyUI workers, one farm ledger in a real PostgreSQL.

Worker A is killed (kill -9) after its create; worker B, with its own folders, runs the same job:
it reuses A's task through the database and saves the video. Needs FREESORA_TEST_POSTGRES_URL
(`python3 dev.py test` and `.ci/run` start a throwaway PostgreSQL) besides a ComfyUI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from comfy_host.graphs import (
    CANARY_KEY,
    PACK_ENTRY,
    REPO_ROOT,
    fresh_seed,
    load_workflow,
    run_same,
)
from comfy_host.hosts import Host
from comfy_host.server import ComfyServer, SandboxThread, pack_env, start_host, wait_until

pytestmark = pytest.mark.comfyui


@pytest.fixture
def farm_url() -> str:
    url = os.environ.get("FREESORA_TEST_POSTGRES_URL", "").strip()
    if not url:
        pytest.skip("FREESORA_TEST_POSTGRES_URL is not set (python3 dev.py test starts one)")
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS freesora CASCADE")
    return url


@pytest.fixture
def workers(
    tmp_path: Path, sandbox: SandboxThread, farm_url: str
) -> Iterator[tuple[dict[str, str], list[ComfyServer]]]:
    env = pack_env(
        sandbox.base_url,
        tmp_path / "freesora-config.json",
        FREESORA_API_KEY=CANARY_KEY,
        FREESORA_JOURNAL=farm_url,
    )
    started: list[ComfyServer] = []
    yield env, started
    for server in started:
        server.stop()


def _worker(host: Host, tmp_path: Path, name: str, env: dict[str, str]) -> ComfyServer:
    base = tmp_path / name
    (base / "custom_nodes").mkdir(parents=True)
    (base / "custom_nodes" / PACK_ENTRY).symlink_to(REPO_ROOT, target_is_directory=True)
    return start_host(host, base, env)


def _job(seed: int) -> dict[str, Any]:
    graph = load_workflow("text_to_video.json")
    graph["1"]["inputs"].update(seed=seed, prompt="A lighthouse keeper's farm")
    return dict(graph)


def test_a_job_retried_on_worker_b_after_worker_a_died_reuses_the_task_and_saves_the_video(
    tmp_path: Path,
    sandbox: SandboxThread,
    workers: tuple[dict[str, str], list[ComfyServer]],
    host: Host,
) -> None:
    env, started = workers
    job = _job(fresh_seed())
    creates, statuses, _ = sandbox.request_counts()
    first = _worker(host, tmp_path, "worker-a", env)
    started.append(first)
    status, answer = first.queue(job)
    assert status == 200, answer

    def waiting_or_failed() -> bool:
        _, history = first.request("GET", f"/history/{answer['prompt_id']}")
        ended = (history or {}).get(answer["prompt_id"])
        assert not ended, f"worker A's prompt ended before it was killed: {ended['status']}"
        return sandbox.request_counts()[1] > statuses

    # A status call means A's create was answered and recorded: Video Result is waiting.
    wait_until(waiting_or_failed, 60, "A's wait for the video")
    first.process.kill()  # kill -9 after the create, while it waits for the video
    first.process.wait(10)
    second = _worker(host, tmp_path, "worker-b", env)
    started.append(second)
    entry = run_same(second, job, timeout_s=120)
    assert entry["status"]["status_str"] == "success", entry["status"]["messages"]
    assert sandbox.call(lambda s: len(s.received.creates)) == creates + 1  # paid once
    saved = list((second.base_dir / "output").rglob("*.mp4"))
    assert saved, "worker B saved no video"
