"""A real ComfyUI with the pack, talking to a sandbox in a thread: the plumbing behind the fixtures.

Owns the sandbox thread, the ComfyUI subprocess and plain-HTTP helpers. Writes only under the
temp base dir it is given; the pack is reached through a symlink, so nothing lands in the repo.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from freesora.sandbox import Sandbox, run_sandbox

from .hosts import Host

T = TypeVar("T")
POLL_S = 0.2
# Loopback only: an inherited HTTP(S)_PROXY must not capture requests to 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_until(condition: Callable[[], object], timeout_s: float, what: str) -> None:
    """Poll `condition` (another process's doing: a ComfyUI, the sandbox) until it holds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SandboxThread:
    """The sandbox served from its own event loop; `call` runs a function on that loop."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.sandbox: Sandbox | None = None
        self.base_url = ""
        self._thread = threading.Thread(target=self._run, name="freesora-sandbox", daemon=True)

    def start(self, timeout_s: float = 10.0) -> SandboxThread:
        self._thread.start()
        if not self._ready.wait(timeout_s) or self.sandbox is None:
            raise RuntimeError(f"the sandbox did not start: {self._error!r}")
        return self

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported by start(); the thread must not die silently
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with run_sandbox("127.0.0.1", 0, **self._options) as running:
            self.sandbox, self.base_url = running.sandbox, running.base_url
            self._ready.set()
            await self._stop.wait()

    def call(self, fn: Callable[[Sandbox], T], timeout_s: float = 10.0) -> T:
        """`fn(sandbox)` on the sandbox's loop: state is never touched from two threads."""
        sandbox = self.sandbox
        assert sandbox is not None

        async def run() -> T:
            return fn(sandbox)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout_s)

    def request_counts(self) -> tuple[int, int, int]:
        """(creates, status calls, downloads) received so far."""
        return self.call(
            lambda s: (
                len(s.received.creates),
                len(s.received.status_calls),
                len(s.received.downloads),
            )
        )

    def stop(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@dataclass
class ComfyServer:
    """A running ComfyUI; every helper is a plain HTTP call on 127.0.0.1."""

    url: str
    base_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with _OPENER.open(req, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        return status, json.loads(raw) if raw.strip() else None

    def queue(self, prompt: dict[str, Any]) -> tuple[int, Any]:
        return self.request("POST", "/prompt", {"prompt": prompt, "client_id": "freesora-tests"})

    def wait_history(self, prompt_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
        """The /history entry of a prompt once it has finished (success or error)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            _, history = self.request("GET", f"/history/{prompt_id}")
            entry = (history or {}).get(prompt_id)
            if entry and entry.get("status", {}).get("completed") is not None:
                return dict(entry)
            time.sleep(POLL_S)
        raise AssertionError(f"prompt {prompt_id} did not finish in {timeout_s} s\n{self.tail()}")

    def object_info(self, node_id: str) -> dict[str, Any]:
        status, info = self.request("GET", f"/object_info/{node_id}")
        assert status == 200, f"/object_info/{node_id} answered {status}"
        assert node_id in info, f"{node_id} is not registered\n{self.tail()}"
        return dict(info[node_id])

    def interrupt(self) -> None:
        status, _ = self.request("POST", "/interrupt", {})
        assert status == 200

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "ComfyUI log tail:\n" + "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_host(
    host: Host,
    base_dir: Path,
    env: dict[str, str],
    timeout_s: float = 120.0,
    ready_path: str = "/object_info",
) -> ComfyServer:
    """Start the host's ComfyUI on a free port and wait until GET `ready_path` answers 200."""
    port = free_port()
    log_path = base_dir / "comfyui.log"
    host.prepare_base(base_dir)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            host.command(base_dir, port),
            cwd=host.comfy_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ComfyServer(f"http://127.0.0.1:{port}", base_dir, log_path, process)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ComfyUI exited with {process.returncode}\n{server.tail()}")
        try:
            if server.request("GET", ready_path)[0] == 200:
                return server
        except (OSError, ValueError):
            pass  # not listening yet
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"ComfyUI did not answer {ready_path} within {timeout_s} s\n{server.tail()}")


def pack_env(sandbox_url: str, config_file: Path, **extra: str) -> dict[str, str]:
    """ComfyUI's environment for the pack under test: none of the caller's FREESORA_ settings,
    the sandbox as the service, a config file of its own (absent: the user's is never read)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREESORA_")}
    env.update(
        PYTHONDONTWRITEBYTECODE="1",  # the pack is a symlink to the repo: no __pycache__ there
        FREESORA_BASE_URL=sandbox_url,
        FREESORA_CONFIG=str(config_file),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        **extra,
    )
    return env


def start_with_pack(
    host: Host, base_dir: Path, sandbox_url: str, api_key: str, pack_entry: str, repo_root: Path
) -> ComfyServer:
    """ComfyUI with the repository linked in as a custom node, talking to the sandbox.

    Raises RuntimeError when ComfyUI does not start or reports the pack as IMPORT FAILED.
    """
    host.prepare_base(base_dir)
    (base_dir / "custom_nodes" / pack_entry).symlink_to(repo_root, target_is_directory=True)
    env = pack_env(sandbox_url, base_dir / "freesora-config.json", FREESORA_API_KEY=api_key)
    server = start_host(host, base_dir, env)
    failed = [
        line
        for line in server.log_text().splitlines()
        if "IMPORT FAILED" in line and "freesora" in line.lower()
    ]
    if failed:
        server.stop()
        raise RuntimeError("the pack failed to import:\n" + "\n".join(failed) + server.tail())
    return server


@contextlib.contextmanager
def serving_pack(
    host: Host, base_dir: Path, sandbox_url: str, api_key: str
) -> Iterator[ComfyServer]:
    """`start_with_pack` of the repository for a fixture: a ComfyUI that does not start fails
    the test with its log; it is stopped when the fixture ends."""
    from .graphs import PACK_ENTRY, REPO_ROOT

    try:
        server = start_with_pack(host, base_dir, sandbox_url, api_key, PACK_ENTRY, REPO_ROOT)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()
