"""`freesora` argument errors as a user meets them: one line naming the flag and what is
allowed, exit 2, nothing sent; `--help` explains every option. Real processes, a real sandbox."""

from __future__ import annotations

import pytest
from cli_runner import Cli

TEXT = ["create", "--model", "sora-2-text-to-video", "--prompt", "A boat"]
IMAGE = ["create", "--model", "sora-2-image-to-video", "--prompt", "Move"]
STORYBOARD = ["create", "--model", "sora-2-pro-storyboard"]


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


async def test_a_shot_whose_seconds_start_with_a_minus_says_what_a_shot_is(cli: Cli) -> None:
    ran = await cli(*STORYBOARD, "--shot", "-2:a")
    assert ran.code == 2
    line = one_line(ran.err)
    assert "--shot" in line
    assert "SECONDS:SCENE" in line
    assert "-2:a" in line
    assert "expected one argument" not in line


async def test_a_wrong_model_is_one_line_naming_the_models(cli: Cli) -> None:
    ran = await cli("create", "--model", "sora-3", "--prompt", "x")
    assert ran.code == 2
    line = one_line(ran.err)
    assert line.startswith("freesora create: --model")
    assert "sora-2-pro-storyboard" in line
    assert "'sora-3'" in line


async def test_an_unknown_flag_of_create_shows_creates_usage(cli: Cli) -> None:
    ran = await cli(*TEXT, "--frobnicate")
    assert ran.code == 2
    line = one_line(ran.err)
    assert line.startswith("freesora create: unrecognized arguments: --frobnicate")
    assert "freesora create --help" in line
    assert "{create,wait" not in ran.err  # not the top-level usage


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ([*TEXT, "--n-frames", "99"], "--n-frames must be at most 15 s"),
        ([*TEXT, "--n-frames", "many"], "--n-frames must be a clip length"),
        ([*STORYBOARD, "--shot", "16:a"], "--shot: got '16:a'; a shot is one storyboard shot"),
        ([*TEXT, "--image-url", "ftp://x"], "--image-url"),
        ([*TEXT, "--size", "high"], "--size applies only"),
        ([*IMAGE], "--image or --image-url is required"),
        ([*STORYBOARD, "--shot", "5:  "], "--shot 1: the scene"),
    ],
)
async def test_request_errors_name_the_flag_not_the_field(
    cli: Cli, args: list[str], fragment: str
) -> None:
    ran = await cli(*args)
    assert ran.code == 2
    line = one_line(ran.err)
    assert fragment in line
    for field in ("n_frames", "duration_s", "image_url", "aspect_ratio"):
        assert field not in line
    assert cli.sandbox.received.creates == []


async def test_an_image_given_to_a_text_model_names_the_image_model_to_use(cli: Cli) -> None:
    from PIL import Image

    Image.new("RGB", (64, 64)).save(cli.cwd / "cat.png")
    ran = await cli(*TEXT, "--image", "cat.png")
    assert ran.code == 2
    line = one_line(ran.err)
    assert "--image is not accepted by sora-2-text-to-video" in line
    assert "use the model sora-2-image-to-video" in line


async def test_settings_are_checked_before_the_request_and_price_are_printed(cli: Cli) -> None:
    del cli.env["FREESORA_API_KEY"]
    ran = await cli(*TEXT)
    assert ran.code == 2
    line = one_line(ran.err)
    assert "FREESORA_API_KEY" in line
    assert "request:" not in ran.err
    assert "price:" not in ran.err


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["wait", "abc", "--timeout", "-1"], "--timeout"),
        (["wait", "abc", "--interval", "0"], "--interval"),
        (["wait", "abc", "--timeout", "inf"], "--timeout: must be a finite number above 0"),
        (["tasks", "--limit", "-1"], "--limit"),
        (["tasks", "--limit", "0"], "--limit"),
        (["sandbox", "--port", "99999"], "--port"),
        (["sandbox", "--task-seconds", "-5"], "--task-seconds"),
        (["demo", "--task-seconds", "-1"], "--task-seconds"),
    ],
)
async def test_a_number_out_of_range_is_refused_naming_its_flag(
    cli: Cli, args: list[str], flag: str
) -> None:
    ran = await cli(*args)
    assert ran.code == 2, ran.err
    line = one_line(ran.err)
    assert flag in line
    assert "Traceback" not in ran.err


@pytest.mark.parametrize(
    ("command", "flags"),
    [
        (
            ["create"],
            ["--model", "--aspect-ratio", "--shot ", "--no-remove-watermark", "--n-frames"],
        ),
        (["tasks"], ["--limit"]),
        (["sandbox"], ["--host", "--port"]),
        (["wait"], ["--out", "TASK_ID"]),
        (["key"], ["{set}"]),
    ],
)
async def test_help_explains_every_option(cli: Cli, command: list[str], flags: list[str]) -> None:
    ran = await cli(*command, "--help")
    assert ran.code == 0
    for flag in flags:
        assert help_text(ran.out, flag), f"{command} --help: {flag} has no help text"


def help_text(usage: str, flag: str) -> str:
    """The help argparse prints for `flag`: after it on its line, or on the indented lines
    below (an option without help ends its line with its own name)."""
    lines = usage.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("  " + flag.strip()):  # an option's own line, not a wrapped one
            text = line.strip().partition("  ")[2]
            below = []
            for after in lines[i + 1 :]:
                if not after.startswith(" " * 8) or after.strip().startswith("-"):
                    break
                below.append(after.strip())
            return (text.strip() + " " + " ".join(below)).strip()
    return ""
