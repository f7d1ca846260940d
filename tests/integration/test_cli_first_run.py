"""A newcomer's first commands: defaults shared with the nodes, exit codes, and
what the command says when it is offline, interrupted or given a bad setting.

Each case runs `freesora` as a real process against the sandbox on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import pytest
from cli_runner import Cli

from freesora.sandbox import FAIL_MARKER

CREATE = ("create", "--model", "sora-2-text-to-video", "--prompt", "A paper boat")


async def test_the_same_create_twice_reuses_its_task_and_pays_once(cli: Cli) -> None:
    first = await cli(*CREATE)
    again = await cli(*CREATE)
    assert first.code == again.code == 0, first.err + again.err
    assert again.last_line == first.last_line
    assert "reused task" in again.err
    assert len(cli.sandbox.received.creates) == 1


async def test_a_new_seed_is_a_new_paid_take_and_reused_in_turn(cli: Cli) -> None:
    default = await cli(*CREATE)
    seeded = await cli(*CREATE, "--seed", "1")
    seeded_again = await cli(*CREATE, "--seed", "1")
    assert default.last_line != seeded.last_line
    assert seeded_again.last_line == seeded.last_line
    assert len(cli.sandbox.received.creates) == 2


async def test_create_help_says_the_seed_and_fit_defaults(cli: Cli) -> None:
    ran = await cli("create", "--help")
    text = " ".join(ran.out.split())
    assert "the same command again reuses its task" in text
    assert "--seed N for a new paid take" in text
    assert "(default: crop, as the node)" in text


async def test_an_image_without_fit_is_cropped_as_the_node_does(cli: Cli) -> None:
    from PIL import Image

    Image.new("RGB", (400, 300), (200, 40, 40)).save(cli.cwd / "cat.png")
    image = ("--model", "sora-2-image-to-video", "--prompt", "Move", "--image", "cat.png")
    ran = await cli("create", *image, "--aspect-ratio", "landscape", "--dry-run")
    assert ran.code == 0, ran.err
    assert "crop to 16:9" in ran.err


@pytest.mark.parametrize(
    "args",
    [
        ("--profile", "nope", "check"),
        ("--profile", "nope", *CREATE),
        ("create", "--model", "sora-2-text-to-video", "--prompt", "x", "--seed", "-1"),
    ],
    ids=["check-profile", "create-profile", "negative-seed"],
)
async def test_a_usage_error_exits_2_in_one_line_and_sends_nothing(
    cli: Cli, args: tuple[str, ...]
) -> None:
    ran = await cli(*args)
    assert ran.code == 2, ran.err
    assert "Traceback" not in ran.err
    assert cli.sandbox.received.creates == []


async def test_a_missing_key_is_a_usage_error(cli: Cli) -> None:
    del cli.env["FREESORA_API_KEY"]
    ran = await cli(*CREATE)
    assert ran.code == 2
    assert "FREESORA_API_KEY" in ran.err


async def test_a_failed_task_exits_1(cli: Cli) -> None:
    created = await cli("create", "--model", "sora-2-text-to-video", "--prompt", f"{FAIL_MARKER}")
    ran = await cli("wait", created.last_line, "--interval", "0.2")
    assert ran.code == 1


async def test_help_names_every_exit_code(cli: Cli) -> None:
    text = " ".join((await cli("--help")).out.split())
    for code in ("0 done", "1 the service", "2 ", "130 interrupted"):
        assert code in text


@pytest.mark.parametrize("raw", ["100000", "abc", "0", "-3", "²"])
@pytest.mark.parametrize("name", ["FREESORA_MAX_IN_FLIGHT", "FREESORA_CREATES_PER_10S"])
async def test_a_bad_limit_setting_is_one_line_naming_it_and_its_range(
    cli: Cli, name: str, raw: str
) -> None:
    cli.env[name] = raw
    ran = await cli(*CREATE)
    assert ran.code == 2, ran.err
    [line] = [line for line in ran.err.splitlines() if name in line]
    assert "1 to 1000" in line
    assert "Traceback" not in ran.err
    assert cli.sandbox.received.creates == []


async def test_check_offline_gives_up_after_two_tries_and_says_where_it_looked(cli: Cli) -> None:
    # A port that takes connections and drops them: every try of `check` is one connection.
    tries = 0

    def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal tries
        tries += 1
        writer.close()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cli.env["FREESORA_BASE_URL"] = f"http://127.0.0.1:{port}"
    async with server:
        ran = await cli("check")
    assert ran.code == 1
    assert tries == 2  # was 5, with 15 s of backoff between them
    assert f"Could not reach the service at http://127.0.0.1:{port}" in ran.err
    assert "freesora-key-check" not in ran.err  # the probe is no task of the user's


async def test_check_on_a_closed_port_says_it_could_not_connect(cli: Cli) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cli.env["FREESORA_BASE_URL"] = f"http://127.0.0.1:{port}"
    ran = await cli("check")
    assert ran.code == 1
    assert "Could not reach the service" in ran.err
    assert len(ran.err.strip().splitlines()) == 2  # where it looked, then why it failed


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
async def test_ctrl_c_on_wait_prints_the_task_id_and_the_command_to_resume(cli: Cli) -> None:
    cli.sandbox.state.task_seconds = 3600
    task_id = (await cli(*CREATE)).last_line
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "freesora.cli", "wait", task_id, "--interval", "0.2"),
        env=cli.env,
        cwd=cli.cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    seen = await asyncio.wait_for(proc.stderr.readline(), 30)  # the first status: it waits
    assert task_id.encode() in seen
    proc.send_signal(signal.SIGINT)
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130, err.decode()
    assert f"freesora wait {task_id}" in err.decode()
    assert "Traceback" not in err.decode()


async def test_the_demo_names_each_task_rightly_and_keeps_only_its_latest_videos(cli: Cli) -> None:
    del cli.env["FREESORA_API_KEY"]
    first = await cli("demo", "--out", "demo", "--task-seconds", "0.3")
    second = await cli("demo", "--out", "demo", "--task-seconds", "0.3")
    assert first.code == second.code == 0, first.err + second.err
    assert "refused    created" not in second.out
    assert "moderated  created task" in second.out
    videos = sorted((cli.cwd / "demo").glob("freesora_*.mp4"))
    assert len(videos) == 3
    assert all(video.name in second.out for video in videos)
    assert "videos of this demo are in" in second.out
    assert "the previous demo's were removed" in second.out
