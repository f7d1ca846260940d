"""`freesora create --shot-list FILE`: a storyboard's shots from a text file, one a line as
`SECONDS | scene`, read as the Storyboard node reads its shot_list; against the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import Cli

STORYBOARD = ["create", "--model", "sora-2-pro-storyboard"]


def shot_file(folder: Path, text: str, name: str = "shots.txt", **kwargs: str) -> Path:
    path = folder / name
    path.write_text(text, **kwargs)
    return path


async def test_a_storyboard_is_built_from_a_shot_list_file(cli: Cli) -> None:
    path = shot_file(
        cli.cwd,
        "5 | Establishing shot of a city skyline at dusk\n\n"
        "4.5 | A neon sign flickers: OPEN | CLOSED\n",
    )
    ran = await cli(*STORYBOARD, "--n-frames", "10", "--shot-list", str(path))
    assert ran.code == 0, ran.err
    assert ran.last_line in cli.sandbox.tasks
    [received] = cli.sandbox.received.creates
    assert received.body["shots"] == [
        {"Scene": "Establishing shot of a city skyline at dusk", "duration": 5},
        {"Scene": "A neon sign flickers: OPEN | CLOSED", "duration": 4.5},
    ]
    assert received.body["nFrames"] == "10"


async def test_a_file_a_windows_editor_wrote_reads_the_same(cli: Cli) -> None:
    path = shot_file(cli.cwd, "3 | A harbour\r\n2 | A gull\r\n", encoding="utf-8-sig")
    ran = await cli(*STORYBOARD, "--shot-list", str(path), "--dry-run")
    assert ran.code == 0, ran.err
    assert "'Scene': 'A harbour', 'duration': 3" in ran.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5 | ok\n\nfive | a shot\n", "line 3: SECONDS must be 0.1 to 15 in tenths"),
        ("5 | ok\nno bar here\n", "line 2: must look like SECONDS | scene"),
        ("5 |   \n", "line 1: the scene after | is empty"),
        ("\n".join(["1 | s"] * 11), "line 11: is shot 11; a storyboard takes at most 10 shots"),
        ("\n \n", "holds no shot: write one a line as SECONDS | scene"),
    ],
    ids=["seconds", "form", "scene", "count", "empty"],
)
async def test_a_bad_shot_list_exits_2_with_one_line_naming_flag_and_line_and_sends_nothing(
    cli: Cli, text: str, message: str
) -> None:
    path = shot_file(cli.cwd, text)
    ran = await cli(*STORYBOARD, "--shot-list", str(path))
    assert ran.code == 2
    [line] = ran.err.strip().splitlines()
    assert line.startswith(f"freesora: invalid request: --shot-list {path}"), line
    assert message in line
    assert line.endswith("(nothing was sent)")
    assert cli.sandbox.received.creates == []


async def test_shots_the_chosen_length_cannot_hold_are_refused_naming_the_lengths(
    cli: Cli,
) -> None:
    path = shot_file(cli.cwd, "6 | a\n6 | b\n6 | c\n")
    ran = await cli(*STORYBOARD, "--n-frames", "15", "--shot-list", str(path))
    assert ran.code == 2
    assert "choose --n-frames 25" in ran.err
    assert len(ran.err.strip().splitlines()) == 1
    assert cli.sandbox.received.creates == []


async def test_shots_that_outgrow_the_default_length_are_refused_as_on_the_node(
    cli: Cli,
) -> None:
    # No --n-frames: the default 15 s, as the node's n_frames widget holds it, never a dearer 25.
    shots = ["--shot", "5:a", "--shot", "10:b", "--shot", "8:c"]
    ran = await cli(*STORYBOARD, *shots)
    assert ran.code == 2, ran.err
    [line] = ran.err.strip().splitlines()
    assert "--n-frames 15 s (the default) is shorter than the shots (23 s in all)" in line
    assert "choose --n-frames 25" in line
    assert cli.sandbox.received.creates == []
    chosen = await cli(*STORYBOARD, *shots, "--n-frames", "25")
    assert chosen.code == 0, chosen.err
    [received] = cli.sandbox.received.creates
    assert received.body["nFrames"] == "25"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda folder: folder / "missing.txt", "cannot be read (No such file or directory)"),
        (lambda folder: folder, "cannot be read (Is a directory)"),
        (
            lambda folder: shot_file(folder, "5 | caf\xe9", "latin1.txt", encoding="latin-1"),
            "is not UTF-8 text",
        ),
    ],
    ids=["missing", "folder", "not-utf8"],
)
async def test_an_unreadable_shot_list_file_exits_2_naming_it(
    cli: Cli, make: Callable[[Path], Path], reason: str
) -> None:
    path = make(cli.cwd)
    ran = await cli(*STORYBOARD, "--shot-list", str(path))
    assert ran.code == 2
    expected = f"freesora: invalid request: --shot-list {path}: {reason} (nothing was sent)"
    assert ran.err.strip() == expected
    assert cli.sandbox.received.creates == []


async def test_shot_and_shot_list_together_are_refused_before_anything_is_read(cli: Cli) -> None:
    ran = await cli(*STORYBOARD, "--shot", "5:a", "--shot-list", str(cli.cwd / "nowhere.txt"))
    assert ran.code == 2
    assert "--shot-list: not allowed with argument --shot" in ran.err
    assert cli.sandbox.received.creates == []
