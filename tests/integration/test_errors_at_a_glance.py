"""An unknown outcome read as a person reads it: short, nothing quoted inside it, its take named
and both ways out given as commands that work as typed, the first time and on every repeat.

Against the real sandbox on 127.0.0.1 answering a create with a proxy's HTML page (HTTP 500): the
service may have made the task, so the pack never sends it again and a person must decide.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from cli_runner import Cli, Ran
from glance import glance_problems

SAME = ("create", "--model", "sora-2-text-to-video", "--prompt", "A paper kite", "--seed", "2")


def error_of(run: Ran) -> str:
    """The error the command ended with: its last `freesora: ` line on stderr."""
    lines = [line for line in run.err.splitlines() if line.startswith("freesora: ")]
    assert lines, run.err
    return lines[-1].removeprefix("freesora: ")


def commands_in(message: str) -> list[str]:
    return re.findall(r"`(freesora [^`]+)`", message)


async def test_an_unknown_outcome_reads_at_a_glance_the_first_time_and_on_a_repeat(
    cli: Cli,
) -> None:
    cli.sandbox.faults.add("create", "html", status=500)
    first, again = await cli(*SAME), await cli(*SAME)
    assert (first.code, again.code) == (1, 1), (first.err, again.err)
    journal = cli.env["FREESORA_JOURNAL"]
    for run in (first, again):
        message = error_of(run)
        assert glance_problems(message) == [], message
        assert "HTTP 500" in message
        assert "the FreeSora tab" in message
        [adopt, forget] = commands_in(message)
        take = adopt.split()[3]
        assert adopt == f"freesora tasks adopt {take} TASK_ID --journal {journal}"
        assert forget == f"freesora tasks forget {take} --journal {journal}"
    assert len(cli.sandbox.received.creates) == 1


async def test_the_full_detail_of_an_unknown_outcome_goes_to_the_journal_not_the_message(
    cli: Cli,
) -> None:
    cli.sandbox.faults.add("create", "html", status=500)
    await cli(*SAME)
    listed = await cli("tasks")
    [line] = listed.out.splitlines()
    assert "unknown" in line
    assert "HTTP 500" in line
    assert "HTML page" in line
    assert "outcome is unknown" not in line  # the reason says what happened, not the message


async def test_the_commands_an_unknown_outcome_names_work_as_typed_from_another_folder(
    cli: Cli, tmp_path: Path
) -> None:
    cli.sandbox.faults.add("create", "html", status=500)
    [_, forget] = commands_in(error_of(await cli(*SAME)))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    typed = Cli(
        cli.sandbox, {k: v for k, v in cli.env.items() if k != "FREESORA_JOURNAL"}, elsewhere
    )
    released = await typed(*shlex.split(forget)[1:])
    assert released.code == 0, released.err
    created = await cli(*SAME)
    assert created.code == 0, created.err
    assert len(cli.sandbox.received.creates) == 2  # forgotten: created again, exactly once
