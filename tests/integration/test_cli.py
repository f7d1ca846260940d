"""The `freesora` command, run as a user runs it, against the sandbox on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from cli_runner import KEY, Cli, cli_env

from freesora.sandbox import FAIL_MARKER, Sandbox

SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "assets" / "sample.mp4"


async def test_create_prints_the_task_id_as_the_last_line(cli: Cli) -> None:
    ran = await cli(
        "create", "--model", "sora-2-text-to-video", "--prompt", "A boat", "--n-frames", "15"
    )
    assert ran.code == 0, ran.err
    assert ran.last_line in cli.sandbox.tasks
    [received] = cli.sandbox.received.creates
    assert received.body["nFrames"] == "15"
    assert KEY not in ran.out + ran.err


async def test_create_sends_a_local_image_encoded_to_fit(cli: Cli) -> None:
    from PIL import Image

    Image.new("RGB", (400, 300), (200, 40, 40)).save(cli.cwd / "cat.png")
    ran = await cli(
        "create",
        "--model",
        "sora-2-image-to-video",
        "--prompt",
        "Move",
        "--image",
        "cat.png",
        "--fit",
        "crop",
        "--aspect-ratio",
        "portrait",
    )
    assert ran.code == 0, ran.err
    body = cli.sandbox.received.creates[0].body
    assert body["imageData"].startswith("data:image/jpeg;base64,")
    assert body["aspectRatio"] == "portrait"
    assert "crop to 9:16" in ran.err


async def test_a_storyboard_is_built_from_shot_arguments(cli: Cli) -> None:
    ran = await cli(
        "create",
        "--model",
        "sora-2-pro-storyboard",
        "--shot",
        "5:A harbour",
        "--shot",
        "4.5:A gull",
    )
    assert ran.code == 0, ran.err
    assert cli.sandbox.received.creates[0].body["shots"] == [
        {"Scene": "A harbour", "duration": 5},
        {"Scene": "A gull", "duration": 4.5},
    ]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--model", "sora-2-text-to-video"], "prompt is required"),
        (
            ["--model", "sora-2-text-to-video", "--prompt", "x", "--size", "high"],
            "size applies only",
        ),
        (["--model", "sora-2-pro-storyboard", "--shot", "15:a", "--shot", "11:b"], "26 s"),
        (["--model", "sora-2-text-to-video", "--prompt", "x", "--n-frames", "16"], "10, 15"),
        (["--model", "sora-2-text-to-video", "--prompt", "x", "--n-frames", "many"], "--n-frames"),
    ],
)
async def test_an_invalid_request_exits_2_with_one_line_and_sends_nothing(
    cli: Cli, args: list[str], fragment: str
) -> None:
    ran = await cli("create", *args)
    assert ran.code == 2
    assert fragment in ran.err
    assert "nothing was sent" in ran.err
    assert len(ran.err.strip().splitlines()) == 1
    assert cli.sandbox.received.creates == []


async def test_a_dry_run_prints_the_request_and_sends_nothing(cli: Cli) -> None:
    ran = await cli("create", "--model", "sora-2-pro-text-to-video", "--prompt", "x", "--dry-run")
    assert ran.code == 0
    assert "'nFrames': '10'" in ran.err
    # The node's default, sent explicitly: never upstream's dearer `high`.
    assert "'size': 'standard'" in ran.err
    assert cli.sandbox.received.creates == []


async def test_a_service_refusal_exits_1_with_its_message_and_never_the_key(cli: Cli) -> None:
    cli.sandbox.faults.add("create", "code", code=402, message="Insufficient credits (sandbox)")
    ran = await cli("create", "--model", "sora-2-text-to-video", "--prompt", "x")
    assert ran.code == 1
    assert "Insufficient credits (sandbox)" in ran.err
    assert KEY not in ran.err
    assert ran.out == ""


async def test_a_missing_key_is_explained_before_anything_is_sent(cli: Cli) -> None:
    del cli.env["FREESORA_API_KEY"]
    ran = await cli("create", "--model", "sora-2-text-to-video", "--prompt", "x")
    assert ran.code == 2  # the command cannot run as given: a usage error, not a service's
    assert "FREESORA_API_KEY" in ran.err
    assert cli.sandbox.received.creates == []


async def test_wait_saves_the_video_and_prints_its_path_last(cli: Cli) -> None:
    created = await cli("create", "--model", "sora-2-text-to-video", "--prompt", "A boat")
    task_id = created.last_line
    ran = await cli("wait", task_id, "--out", "videos", "--interval", "0.2")
    assert ran.code == 0, ran.err
    saved = Path(ran.last_line)
    assert saved == cli.cwd / "videos" / f"freesora_{task_id}.mp4"  # absolute, as recorded
    assert saved.read_bytes() == SAMPLE.read_bytes()
    assert "succeeded" in ran.err


async def test_wait_on_a_failed_task_exits_1_with_the_services_reason(cli: Cli) -> None:
    created = await cli("create", "--model", "sora-2-text-to-video", "--prompt", f"x {FAIL_MARKER}")
    ran = await cli("wait", created.last_line, "--interval", "0.2")
    assert ran.code == 1
    assert "Content moderation" in ran.err
    assert "refunded" in ran.err


async def test_wait_gives_up_at_its_timeout_with_the_id_to_resume(cli: Cli) -> None:
    cli.sandbox.state.task_seconds = 3600
    created = await cli("create", "--model", "sora-2-text-to-video", "--prompt", "x")
    ran = await cli("wait", created.last_line, "--timeout", "1", "--interval", "0.2")
    assert ran.code == 1
    assert f"freesora wait {created.last_line}" in ran.err


async def test_the_demo_runs_the_whole_job_without_a_key(cli: Cli) -> None:
    del cli.env["FREESORA_API_KEY"]
    ran = await cli("demo", "--out", "demo", "--task-seconds", "0.5")
    assert ran.code == 0, ran.err
    assert "demo finished: all as expected" in ran.out
    assert len(list((cli.cwd / "demo").glob("freesora_*.mp4"))) == 3


async def test_check_says_the_key_works_without_creating_anything(cli: Cli) -> None:
    ran = await cli("check")
    assert ran.code == 0, ran.err
    assert "the key works" in ran.last_line
    assert "environment variable FREESORA_API_KEY" in ran.err
    assert KEY not in ran.out + ran.err
    assert cli.sandbox.tasks == {}


async def test_check_with_a_refused_key_says_how_to_fix_it(cli: Cli) -> None:
    cli.env["FREESORA_API_KEY"] = "sk-wrong-key-0123456789"
    ran = await cli("check")
    assert ran.code == 1
    assert "refused the API key" in ran.err
    assert "sk-wrong-key-0123456789" not in ran.err


async def test_check_reads_a_named_profile_from_the_config_file(cli: Cli) -> None:
    base_url = cli.env["FREESORA_BASE_URL"]
    config = {"profiles": {"work": {"api_key": "sk-sandbox-work", "base_url": base_url}}}
    Path(cli.env["FREESORA_CONFIG"]).write_text(json.dumps(config), encoding="utf-8")
    ran = await cli("--profile", "work", "check")
    assert ran.code == 0, ran.err
    assert "profile work" in ran.err
    assert "sk-sandbox-work" not in ran.err


async def test_tasks_lists_the_journal_newest_first_with_filters(cli: Cli) -> None:
    first = (await cli("create", "--model", "sora-2-text-to-video", "--prompt", "one")).last_line
    second = (
        await cli("create", "--model", "sora-2-pro-text-to-video", "--prompt", "two")
    ).last_line
    await cli("wait", first, "--out", "videos", "--interval", "0.2")
    listed = await cli("tasks")
    assert listed.code == 0, listed.err
    lines = listed.out.strip().splitlines()
    assert [line.split()[2] for line in lines] == [second, first]
    assert "succeeded" in lines[1]
    assert f"freesora_{first}.mp4" in lines[1]
    unfinished = await cli("tasks", "--unfinished")
    assert [line.split()[2] for line in unfinished.out.strip().splitlines()] == [second]
    by_model = await cli("tasks", "--model", "sora-2-text-to-video")
    assert [line.split()[2] for line in by_model.out.strip().splitlines()] == [first]


async def test_tasks_reports_journal_damage_once_and_compact_keeps_every_task(cli: Cli) -> None:
    made = (await cli("create", "--model", "sora-2-text-to-video", "--prompt", "one")).last_line
    journal = Path(cli.env["FREESORA_JOURNAL"])
    with journal.open("ab") as handle:
        handle.write(b"\xff\xfe torn \x80\n")
    listed = await cli("tasks")
    assert listed.code == 0, listed.err
    assert "journal damage: 1 damaged line(s)" in listed.err
    assert made in listed.out
    compacted = await cli("tasks", "compact")
    assert compacted.code == 0, compacted.err
    assert "1 take(s) kept" in compacted.out
    again = await cli("tasks")
    assert "journal damage" not in again.err
    assert made in again.out


async def test_tasks_adopt_and_forget_name_what_they_did_and_refuse_unknown_takes(
    cli: Cli,
) -> None:
    refused = await cli("tasks", "forget", "0123456789ab")
    assert refused.code == 2
    assert "is not a take in the journal" in refused.err
    wrong = await cli("tasks", "adopt", "only-one-name")
    assert wrong.code == 2
    assert "tasks adopt takes TAKE TASK_ID" in wrong.err


async def test_a_tasks_mistake_is_worded_as_the_commands_not_as_a_request_to_the_service(
    cli: Cli,
) -> None:
    for args in (["forget", "0123456789ab"], ["adopt", "only-one-name"]):
        ran = await cli("tasks", *args)
        assert ran.code == 2
        assert ran.err.startswith("freesora tasks: "), ran.err
        assert "invalid request" not in ran.err
        assert "nothing was sent" not in ran.err
        assert len(ran.err.strip().splitlines()) == 1


async def test_the_sandbox_command_serves_the_service_on_the_port_asked(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "freesora.cli",
        "sandbox",
        "--port",
        str(port),
        "--latency",
        "0.05",
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        started = (await asyncio.wait_for(process.stderr.readline(), 30)).decode()
        assert f"http://127.0.0.1:{port}" in started
        assert "sk-sandbox" in started
        env = cli_env(f"http://127.0.0.1:{port}", tmp_path, key="sk-sandbox")
        ran = await Cli(Sandbox(), env, tmp_path)(
            "create", "--model", "sora-2-text-to-video", "--prompt", "x"
        )
        assert ran.code == 0, ran.err
        assert len(ran.last_line) == 32
    finally:
        process.terminate()
        await process.wait()


async def test_sandbox_refuses_a_limit_below_one_naming_the_option(cli: Cli) -> None:
    ran = await cli("sandbox", "--port", "0", "--max-in-flight", "0")
    assert ran.code == 2
    assert "--max-in-flight: must be a whole number of at least 1, got '0'" in ran.err


@asynccontextmanager
async def _sandbox_process(*flags: str) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "freesora.cli", "sandbox", "--port", str(port), *flags),
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        await asyncio.wait_for(proc.stderr.readline(), timeout=30)  # its start-up line
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer sk-sandbox"}) as s:
            yield s, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        await proc.wait()


_TEXT = {"model": "sora-2-text-to-video", "prompt": "A boat"}


async def test_sandbox_process_answers_429_beyond_its_in_flight_limit() -> None:
    answers = []
    async with _sandbox_process("--task-seconds", "60", "--max-in-flight", "2") as (session, url):
        for _ in range(3):
            async with session.post(url + "/api/v1/video/sora-pro", json=_TEXT) as resp:
                answers.append((resp.status, (await resp.json())["code"]))
        async with session.get(url + "/sandbox/state") as resp:
            limits = (await resp.json())["limits"]
    assert answers == [(200, 0), (200, 0), (429, 429)]
    assert (limits["max_in_flight"], limits["refused"]) == (2, 1)


async def test_sandbox_process_fails_the_task_of_the_nth_create() -> None:
    ends = []
    async with _sandbox_process("--task-seconds", "0", "--fail-create", "2") as (session, url):
        for _ in range(3):
            async with session.post(url + "/api/v1/video/sora-pro", json=_TEXT) as resp:
                task_id = (await resp.json())["data"]["taskId"]
            check = {"taskId": task_id}
            async with session.post(url + "/api/video-generations/check-result", json=check) as r:
                data = (await r.json())["data"]
            ends.append((data["status"], data["credits_refunded"]))
    assert ends == [("succeeded", False), ("failed", True), ("succeeded", False)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_create_sends_a_large_image_at_the_frame_its_model_renders(cli: Cli) -> None:
    from PIL import Image

    Image.new("RGB", (3840, 2160), (20, 90, 160)).save(cli.cwd / "big.png")
    args = ["--model", "sora-2-pro-image-to-video", "--size", "high", "--prompt", "Move"]
    ran = await cli("create", *args, "--image", "big.png", "--fit", "crop")
    assert ran.code == 0, ran.err
    body = cli.sandbox.received.creates[0].body
    raw = base64.b64decode(body["imageData"].partition(",")[2])
    with Image.open(io.BytesIO(raw)) as sent:
        assert sent.size == (1792, 1024), "no aspect ratio: the image's orientation, cropped"
    assert "crop to 7:4" in ran.err


async def test_a_tall_image_without_an_aspect_ratio_makes_a_portrait_video_as_the_node(
    cli: Cli,
) -> None:
    from PIL import Image

    Image.new("RGB", (720, 1280), (20, 90, 160)).save(cli.cwd / "tall.png")
    ran = await cli(
        "create", "--model", "sora-2-image-to-video", "--prompt", "Move", "--image", "tall.png"
    )
    assert ran.code == 0, ran.err
    assert cli.sandbox.received.creates[0].body["aspectRatio"] == "portrait"


async def test_fit_shapes_the_image_without_an_aspect_ratio(cli: Cli) -> None:
    from PIL import Image

    Image.new("RGB", (600, 500), (20, 90, 160)).save(cli.cwd / "wide.png")
    args = ["--model", "sora-2-image-to-video", "--prompt", "Move", "--image", "wide.png"]
    ran = await cli("create", *args, "--fit", "pad")
    assert ran.code == 0, ran.err
    body = cli.sandbox.received.creates[0].body
    assert body["aspectRatio"] == "landscape"
    raw = base64.b64decode(body["imageData"].partition(",")[2])
    with Image.open(io.BytesIO(raw)) as sent:
        width, height = sent.size
    assert abs(width / height - 16 / 9) < 0.01, sent.size
    assert "pad to 16:9" in ran.err
