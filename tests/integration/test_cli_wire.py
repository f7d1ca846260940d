"""The `freesora` command keeps the wire rules (a storyboard's prompt, a wait's timeout), run as
a user runs it, on the sandbox."""

from __future__ import annotations

import asyncio

from cli_runner import Cli

from freesora.sandbox.canned import MAINTENANCE_MESSAGE


async def test_a_storyboard_takes_a_prompt_without_sending_it_and_says_so(cli: Cli) -> None:
    # The service takes no prompt for a storyboard: accepted locally, never sent.
    ran = await cli(
        "create", "--model", "sora-2-pro-storyboard", "--prompt", "A story", "--shot", "5:A gull"
    )
    assert ran.code == 0, ran.err
    assert "prompt is not sent for sora-2-pro-storyboard" in ran.err
    assert "prompt" not in cli.sandbox.received.creates[0].body


async def test_twenty_seconds_of_shots_with_n_frames_20_are_sent_as_25_and_shown(cli: Cli) -> None:
    ran = await cli(
        "create",
        "--model",
        "sora-2-pro-storyboard",
        "--n-frames",
        "20",
        "--shot",
        "10:A harbour",
        "--shot",
        "10:A gull",
    )
    assert ran.code == 0, ran.err
    assert "--n-frames 20 -> 25 s" in ran.err
    assert cli.sandbox.received.creates[0].body["nFrames"] == "25"


async def test_the_pro_size_default_is_sent_as_standard(cli: Cli) -> None:
    ran = await cli("create", "--model", "sora-2-pro-text-to-video", "--prompt", "x")
    assert ran.code == 0, ran.err
    assert cli.sandbox.received.creates[0].body["size"] == "standard"


async def test_check_reports_a_service_under_maintenance_without_a_traceback(cli: Cli) -> None:
    cli.sandbox.faults.add("status", "maintenance")
    ran = await cli("check")
    assert ran.code == 1
    assert MAINTENANCE_MESSAGE in ran.err
    assert "Traceback" not in ran.err


async def test_wait_timeout_covers_a_dripping_download_and_leaves_no_partial_file(
    cli: Cli,
) -> None:
    # The timeout bounds the download too: a byte a second must not keep the wait alive.
    created = await cli("create", "--model", "sora-2-text-to-video", "--prompt", "A boat")
    cli.sandbox.faults.add("download", "drip", seconds=1.0)
    started = asyncio.get_running_loop().time()
    ran = await cli("wait", created.last_line, "--out", "videos", "--timeout", "4")
    assert asyncio.get_running_loop().time() - started < 30  # generous: it must end at all
    assert ran.code == 1
    assert "did not finish downloading" in ran.err
    assert f"freesora wait {created.last_line}" in ran.err
    videos = cli.cwd / "videos"
    assert not videos.exists() or list(videos.iterdir()) == []
