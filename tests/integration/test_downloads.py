"""Result downloads bounded in redirects, time, size and kind, against real servers on 127.0.0.1.

Issue 10: a cross-origin redirect's 24 bytes of text were saved as the video; a dripping download
outlived `--timeout` and Cancel; two collections of one task shared one `.part` name.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from harness import Harness

from freesora.collect import collect_video
from freesora.config import ApiKey, Settings, load_settings
from freesora.errors import DownloadError, TaskTimeoutError, WaitCancelledError
from freesora.schemas import build_create_request
from freesora.service.client import FreeSoraClient
from freesora.service.download import MAX_REDIRECTS, download

SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "assets" / "sample.mp4"
# Generous bounds on a real clock: they catch "never stops", not a slow machine.
STOP_BOUND_S = 5.0


async def finished_task(harness: Harness) -> tuple[str, str]:
    request = build_create_request(model="sora-2-text-to-video", prompt="A boat")
    task_id = await harness.client.create(request)
    harness.clock.advance(60)
    status = await harness.client.status(task_id)
    assert status.video_url
    return task_id, status.video_url


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def test_a_redirect_within_the_result_urls_own_origin_is_followed(
    harness: Harness, tmp_path: Path
) -> None:
    task_id, url = await finished_task(harness)
    harness.sandbox.faults.add("download", "redirect", times=MAX_REDIRECTS)
    path = await harness.client.download(url, tmp_path / "v.mp4", task_id=task_id)
    assert path.read_bytes() == SAMPLE.read_bytes()


async def test_more_than_five_redirects_are_refused(harness: Harness, tmp_path: Path) -> None:
    task_id, url = await finished_task(harness)
    harness.sandbox.faults.add("download", "redirect", times=MAX_REDIRECTS + 1)
    with pytest.raises(DownloadError, match="more than 5 redirects"):
        await harness.client.download(url, tmp_path / "v.mp4", task_id=task_id)
    assert leftovers(tmp_path) == []


async def test_a_redirect_to_another_origin_over_http_is_not_followed(
    harness: Harness, tmp_path: Path
) -> None:
    task_id, url = await finished_task(harness)
    # localhost is another origin than 127.0.0.1, and plain http.
    other = "http://localhost:{port}/files/{task_id}.mp4"
    harness.sandbox.faults.add("download", "redirect", location=other)
    with pytest.raises(DownloadError) as caught:
        await harness.client.download(url, tmp_path / "v.mp4", task_id=task_id)
    assert "redirected to http://localhost" in str(caught.value)
    assert task_id in str(caught.value)
    assert len(harness.sandbox.received.downloads) == 1  # the other origin was never asked
    assert leftovers(tmp_path) == []


async def test_a_result_that_is_not_a_video_is_not_saved_and_names_task_and_host(
    harness: Harness, tmp_path: Path
) -> None:
    task_id, url = await finished_task(harness)
    harness.sandbox.faults.add("download", "not_video")
    with pytest.raises(DownloadError, match="not a video") as caught:
        await harness.client.download(url, tmp_path / "v.mp4", task_id=task_id)
    assert task_id in str(caught.value)
    assert "127.0.0.1" in str(caught.value)
    assert leftovers(tmp_path) == []


async def test_a_dripping_download_is_stopped_by_the_waits_timeout(
    harness: Harness, tmp_path: Path
) -> None:
    request = build_create_request(model="sora-2-text-to-video", prompt="A boat")
    task_id = await harness.client.create(request)
    harness.sandbox.faults.add("download", "drip", seconds=0.5)
    started = time.monotonic()
    # The task takes 10 s of the harness's clock; the wait ends at 12 s; 2 s are left.
    with pytest.raises(TaskTimeoutError) as caught:
        await collect_video(harness.client, task_id, tmp_path, clock=harness.clock, timeout_s=14)
    assert time.monotonic() - started < STOP_BOUND_S
    assert "did not finish downloading" in str(caught.value)
    assert f"freesora wait {task_id}" in str(caught.value)
    assert leftovers(tmp_path) == []


async def test_cancel_stops_a_dripping_download_within_a_second(
    harness: Harness, tmp_path: Path
) -> None:
    task_id, url = await finished_task(harness)
    harness.sandbox.faults.add("download", "drip", seconds=0.5)
    asked_at: list[float] = []

    def cancel_after_half_a_second() -> bool:
        now = time.monotonic()
        if now - started > 0.5:
            asked_at.append(now)
            return True
        return False

    started = time.monotonic()
    with pytest.raises(WaitCancelledError, match=task_id):
        await harness.client.download(
            url, tmp_path / "v.mp4", task_id=task_id, should_cancel=cancel_after_half_a_second
        )
    assert asked_at
    assert time.monotonic() - asked_at[0] < 1.0  # stopped right when cancel said yes
    assert leftovers(tmp_path) == []


async def test_two_collections_of_one_task_do_not_clash(harness: Harness, tmp_path: Path) -> None:
    task_id, url = await finished_task(harness)
    dest = tmp_path / f"freesora_{task_id}.mp4"
    one, two = await asyncio.gather(
        harness.client.download(url, dest, task_id=task_id),
        harness.client.download(url, dest, task_id=task_id),
    )
    assert one == two == dest
    assert dest.read_bytes() == SAMPLE.read_bytes()
    assert leftovers(tmp_path) == [dest.name]


def test_the_download_limit_defaults_to_2_gb_and_is_configurable(tmp_path: Path) -> None:
    env = {"FREESORA_CONFIG": str(tmp_path / "c.json")}
    assert load_settings(env=env).max_download_bytes == 2 * 1024**3
    env["FREESORA_MAX_DOWNLOAD_BYTES"] = "1000"
    assert load_settings(env=env).max_download_bytes == 1000


async def test_the_configured_download_limit_is_applied(harness: Harness, tmp_path: Path) -> None:
    task_id, url = await finished_task(harness)
    settings = Settings(harness.base_url, ApiKey("sk-sandbox"), "test", max_download_bytes=1000)
    client = FreeSoraClient(harness.session, settings)
    with pytest.raises(DownloadError, match="1,000-byte limit"):
        await client.download(url, tmp_path / "v.mp4", task_id=task_id)
    assert leftovers(tmp_path) == []


# --- Redirects into the user's network, when the service is not local -----------------------


@pytest.fixture
async def redirector() -> AsyncIterator[tuple[str, list[str]]]:
    """A storage host on 127.0.0.1 whose /start redirects to the `?to=` URL."""
    served: list[str] = []

    async def start(request: web.Request) -> web.StreamResponse:
        served.append(request.path)
        raise web.HTTPFound(request.query["to"])

    async def video(request: web.Request) -> web.StreamResponse:
        served.append(request.path)
        return web.Response(body=SAMPLE.read_bytes(), content_type="video/mp4")

    app = web.Application()
    app.router.add_get("/start", start)
    app.router.add_get("/video.mp4", video)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/"), served


@pytest.mark.parametrize(
    "target",
    [
        "https://localhost:{port}/video.mp4",  # loopback by name
        "https://10.1.2.3/video.mp4",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::1]:{port}/video.mp4",  # IPv6 loopback
        "{base}/video.mp4",  # the same origin, but loopback
    ],
)
async def test_a_redirect_to_a_private_address_is_refused_when_the_service_is_public(
    redirector: tuple[str, list[str]], tmp_path: Path, target: str
) -> None:
    base, served = redirector
    to = target.format(port=base.rsplit(":", 1)[1], base=base)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(DownloadError, match="which is not followed"):
            await download(
                session,
                f"{base}/start?to={to}",
                tmp_path / "v.mp4",
                task_id="t1",
                base_url="https://freesoragenerator.com",
            )
    assert served == ["/start"]
    assert leftovers(tmp_path) == []


async def test_the_same_redirect_is_followed_when_the_service_itself_is_local(
    redirector: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, served = redirector
    async with aiohttp.ClientSession() as session:
        path = await download(
            session,
            f"{base}/start?to={base}/video.mp4",
            tmp_path / "v.mp4",
            task_id="t1",
            base_url=base,
        )
    assert served == ["/start", "/video.mp4"]
    assert path.read_bytes() == SAMPLE.read_bytes()
