"""Memory of reading hostile API answers: the pack's capped reader vs reading them whole.

Run: `python benchmarks/bench_wire.py`. Each case runs in its own process (peak RSS is per
process) against a real aiohttp server on 127.0.0.1: a 200 MB check-result answer, and a gzip
answer of about 300 KB that inflates to 300 MB. "whole" reads them the plain way,
`resp.text()` with aiohttp's automatic decompression: the whole answer in memory.
Target: the pack's reader adds at most 20 MB whatever the answer. Exits 1 on a miss.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import subprocess
import sys
import time

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from freesora.config import ApiKey, Settings
from freesora.errors import UnexpectedResponseError
from freesora.sandbox.canned import gzip_bomb
from freesora.service.client import STATUS_PATH, FreeSoraClient
from freesora.service.retry import RetryPolicy

MB = 1024 * 1024
HUGE_BYTES, BOMB_BYTES = 200 * MB, 300 * MB
TARGET_MB = 20.0


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (MB if sys.platform == "darwin" else 1024)


async def _huge(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    chunk = b" " * (256 * 1024)
    try:
        await response.write(b'{"code": 0, "message": "')
        for _ in range(HUGE_BYTES // len(chunk)):
            await response.write(chunk)
        await response.write(b'"}')
    except ConnectionError:
        pass
    return response


async def _bomb(request: web.Request) -> web.Response:
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    return web.Response(body=gzip_bomb(BOMB_BYTES), headers=headers)


async def _child(case: str, reader: str) -> dict[str, float]:
    app = web.Application()
    app.router.add_post(STATUS_PATH, _huge if case == "huge" else _bomb)
    if case == "bomb":
        gzip_bomb(BOMB_BYTES)  # built before the baseline: the server's cost is not the client's
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        base = str(server.make_url("")).rstrip("/")
        before = _rss_mb()
        started = time.perf_counter()
        if reader == "pack":
            settings = Settings(base, ApiKey("sk-bench"), "bench")
            client = FreeSoraClient(session, settings, policy=RetryPolicy(attempts=1))
            with contextlib.suppress(UnexpectedResponseError):  # refused after 1 MB, as it should
                await client.status("t1")
        else:
            async with session.post(base + STATUS_PATH, json={"taskId": "t1"}) as resp:
                await resp.text()
        return {"added_mb": _rss_mb() - before, "seconds": time.perf_counter() - started}


def _run(case: str, reader: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, reader],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(asyncio.run(_child(sys.argv[2], sys.argv[3]))))
        return 0
    cases = {
        "huge": "200 MB answer",
        "bomb": f"gzip answer ({len(gzip_bomb(BOMB_BYTES)) // 1024} KB -> 300 MB)",
    }
    print(f"{'answer':<34} {'pack: +MB':>10} {'s':>6} {'whole: +MB':>11} {'s':>6}")
    missed = False
    for case, label in cases.items():
        pack, whole = _run(case, "pack"), _run(case, "whole")
        missed |= pack["added_mb"] > TARGET_MB
        print(
            f"{label:<34} {pack['added_mb']:>10.1f} {pack['seconds']:>6.2f} "
            f"{whole['added_mb']:>11.1f} {whole['seconds']:>6.2f}"
        )
    print(
        f"target: the pack's reader adds at most {TARGET_MB:g} MB -> {'MISSED' if missed else 'ok'}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
