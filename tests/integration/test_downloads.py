"""Result downloads bounded in redirects, time, size and kind, against real servers on 127.0.0.1.

What each bound guards against: a cross-origin redirect's few bytes of text saved as the video,
a download dripping a byte a second past `--timeout` and Cancel, two collections of one task
sharing one temp file.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from harness import Harness

from freesora.collect import collect_video
from freesora.config import ApiKey, Settings, load_settings
from freesora.errors import DownloadError, TaskTimeoutError, WaitCancelledError
from freesora.schemas import build_create_request
from freesora.service.client import STATUS_PATH, FreeSoraClient
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


# --- URLs into the user's network, when the service is not local -----------------------------
# The service and its storage are one server on 127.0.0.1. To play a *public* service without the
# internet, the client reaches http://freesora.example through it as a forward proxy (the
# settings' proxy): it answers for every host it is asked about, so it also sees (in `served`)
# any request that should never have been made.

REMOTE_BASE = "http://freesora.example"
PUBLIC_BASE = "https://freesoragenerator.com"


@dataclass
class Storage:
    url: str  # its own address, http://127.0.0.1:port
    answers: list[str]  # the result URLs its check-result names
    served: list[str]  # every GET it answered, as absolute URLs

    @property
    def port(self) -> str:
        return self.url.rsplit(":", 1)[1]


@pytest.fixture
async def storage() -> AsyncIterator[Storage]:
    """check-result names `answers`; /start redirects to its `?to=`; any other GET is a video."""
    found = Storage("", [], [])

    async def check_result(request: web.Request) -> web.Response:
        data = {
            "taskId": "t1",
            "status": "succeeded",
            "progress": 100,
            "result_urls": found.answers,
        }
        return web.json_response({"code": 0, "message": "ok", "data": data})

    async def start(request: web.Request) -> web.StreamResponse:
        found.served.append(str(request.url))
        raise web.HTTPFound(request.query["to"])

    async def video(request: web.Request) -> web.StreamResponse:
        found.served.append(str(request.url))
        return web.Response(body=SAMPLE.read_bytes(), content_type="video/mp4")

    app = web.Application()
    app.router.add_post(STATUS_PATH, check_result)
    app.router.add_get("/start", start)
    app.router.add_get("/{tail:.*}", video)
    async with TestServer(app, host="127.0.0.1") as server:
        found.url = str(server.make_url("")).rstrip("/")
        yield found


@pytest.mark.parametrize(
    "target",
    [
        "https://localhost:{port}/video.mp4",  # loopback by name
        "https://10.1.2.3/video.mp4",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::1]:{port}/video.mp4",  # IPv6 loopback
        "https://127.0.0.1:{port}/video.mp4",  # IPv4 loopback
    ],
)
async def test_a_redirect_to_a_private_address_is_refused_when_the_service_is_public(
    storage: Storage, tmp_path: Path, target: str
) -> None:
    start = f"{REMOTE_BASE}/start?to={target.format(port=storage.port)}"
    with pytest.raises(DownloadError, match="which is not followed"):
        await download(
            start, tmp_path / "v.mp4", task_id="t1", base_url=REMOTE_BASE, proxy=storage.url
        )
    assert [urlsplit(url).path for url in storage.served] == ["/start"]
    assert leftovers(tmp_path) == []


async def test_the_same_redirect_is_followed_when_the_service_itself_is_local(
    storage: Storage, tmp_path: Path
) -> None:
    base = storage.url
    path = await download(
        f"{base}/start?to={base}/video.mp4", tmp_path / "v.mp4", task_id="t1", base_url=base
    )
    assert [urlsplit(url).path for url in storage.served] == ["/start", "/video.mp4"]
    assert path.read_bytes() == SAMPLE.read_bytes()


@pytest.mark.parametrize(
    "target",
    [
        "https://127.0.0.1:{port}/video.mp4",  # loopback: the user's own machine
        "https://localhost:{port}/video.mp4",  # loopback by name
        "https://10.1.2.3/video.mp4",  # private: the user's LAN
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::1]:{port}/video.mp4",  # IPv6 loopback
        "https://100.64.0.1:9/video.mp4",  # CGNAT, a tailnet
    ],
)
async def test_a_result_url_on_a_private_address_is_not_fetched_when_the_service_is_public(
    storage: Storage, tmp_path: Path, target: str
) -> None:
    url = target.format(port=storage.port, base=storage.url)
    with pytest.raises(DownloadError) as caught:
        await download(
            url, tmp_path / "v.mp4", task_id="t1", base_url=PUBLIC_BASE, deadline_s=STOP_BOUND_S
        )
    message = str(caught.value)
    assert "task t1" in message
    assert f"fetched from {urlsplit(url).hostname}: it points at" in message
    assert "not a public address" in message
    assert "FREESORA_BASE_URL" in message  # what is fetched instead
    assert storage.served == []
    assert leftovers(tmp_path) == []


async def test_the_same_result_url_is_fetched_when_the_service_itself_is_local(
    storage: Storage, tmp_path: Path
) -> None:
    path = await download(
        f"{storage.url}/video.mp4", tmp_path / "v.mp4", task_id="t1", base_url=storage.url
    )
    assert storage.served == [f"{storage.url}/video.mp4"]
    assert path.read_bytes() == SAMPLE.read_bytes()


async def test_a_local_service_cannot_send_the_pack_to_another_local_address(
    storage: Storage, tmp_path: Path
) -> None:
    other = f"https://127.0.0.1:{storage.port}/video.mp4"  # https: another origin
    with pytest.raises(DownloadError, match="not a public address"):
        await download(other, tmp_path / "v.mp4", task_id="t1", base_url=storage.url)
    assert storage.served == []


def remote_client(session: aiohttp.ClientSession, storage: Storage) -> FreeSoraClient:
    settings = Settings(REMOTE_BASE, ApiKey("sk-sandbox"), "test", proxy=storage.url)
    return FreeSoraClient(session, settings)


@pytest.mark.parametrize(
    ("result_url", "why"),
    [
        ("https://127.0.0.1:{port}/video.mp4", "it points at 127.0.0.1 (not a public"),
        ("https://169.254.169.254/latest/meta-data", "it points at 169.254.169.254 (not a"),
        ("https://192.168.1.1/", "it points at 192.168.1.1 (not a public"),
        ("http://127.0.0.1:{port}/video.mp4", "only https"),
        ("http://storage.example/video.mp4", "only https URLs"),  # plain http elsewhere
        ("https://freesora.example:8443@10.0.0.1/v.mp4", "it points at 10.0.0.1"),
    ],
)
async def test_collecting_refuses_a_result_url_a_public_service_should_never_give(
    storage: Storage, tmp_path: Path, result_url: str, why: str
) -> None:
    storage.answers.append(result_url.format(port=storage.port))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(DownloadError) as caught:
            await collect_video(remote_client(session, storage), "t1", tmp_path, timeout_s=5)
    message = str(caught.value)
    assert why in message
    assert "task t1" in message
    assert storage.served == []  # nothing was asked of that address
    assert leftovers(tmp_path) == []


async def test_collecting_fetches_a_result_url_on_the_services_own_origin(
    storage: Storage, tmp_path: Path
) -> None:
    storage.answers.append(f"{REMOTE_BASE}/files/t1.mp4")
    async with aiohttp.ClientSession() as session:
        result = await collect_video(remote_client(session, storage), "t1", tmp_path)
    assert storage.served == [f"{REMOTE_BASE}/files/t1.mp4"]
    assert result.path.read_bytes() == SAMPLE.read_bytes()


async def test_a_download_goes_through_the_environments_proxy_like_the_api_calls(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The download's own session takes its proxy from HTTP(S)_PROXY, as the client's does.
    monkeypatch.setenv("HTTP_PROXY", storage.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    storage.answers.append(f"{REMOTE_BASE}/files/t1.mp4")
    settings = Settings(REMOTE_BASE, ApiKey("sk-sandbox"), "test")
    async with aiohttp.ClientSession(trust_env=True) as session:
        result = await collect_video(FreeSoraClient(session, settings), "t1", tmp_path)
    assert storage.served == [f"{REMOTE_BASE}/files/t1.mp4"]
    assert result.path.read_bytes() == SAMPLE.read_bytes()
