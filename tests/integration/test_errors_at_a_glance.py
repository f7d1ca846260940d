"""An unknown outcome read as a person reads it: short, nothing quoted inside it, its take named
and both ways out given as commands that work as typed, the first time and on every repeat.

Against the real sandbox on 127.0.0.1 answering a create with a proxy's HTML page (HTTP 500): the
service may have made the task, so the pack never sends it again and a person must decide.
"""

from __future__ import annotations

import logging
import re
import shlex
from pathlib import Path

import pytest
from cli_runner import Cli, Ran
from glance import glance_problems
from harness import Harness

from freesora.collect.video import collect_video
from freesora.create.plan import PlannedTask
from freesora.create.submit import submit_tasks
from freesora.errors import CreateOutcomeUnknownError, TaskTimeoutError
from freesora.ledger import FileLedger
from freesora.schemas import build_create_request

REQUEST = build_create_request(model="sora-2-text-to-video", prompt="A paper kite")
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


async def test_the_page_a_proxy_answered_goes_to_the_log_not_the_message(
    harness: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    harness.sandbox.faults.add("create", "html", status=500)
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    caplog.set_level(logging.INFO, logger="freesora")
    with pytest.raises(CreateOutcomeUnknownError) as raised:
        await submit_tasks(harness.client, [PlannedTask(REQUEST)], ledger=ledger, seed=3)
    assert "<center>" not in str(raised.value)
    assert "nginx" in caplog.text  # the page itself, for whoever reads the log
    assert raised.value.take is not None
    assert f"tasks forget {raised.value.take} --journal {ledger.path}`" in str(raised.value)


async def test_a_journal_chosen_before_the_command_is_the_journal_used(
    cli: Cli, tmp_path: Path
) -> None:
    other = tmp_path / "other folder" / "tasks.jsonl"
    made = await cli("--journal", str(other), *SAME)
    assert made.code == 0, made.err
    listed = await cli("tasks", "--journal", str(other))
    assert made.last_line in listed.out
    assert made.last_line not in (await cli("tasks")).out  # FREESORA_JOURNAL's is another


async def test_a_wait_that_stops_names_the_command_that_picks_it_up_with_its_journal(
    harness: Harness, tmp_path: Path
) -> None:
    ledger = FileLedger(tmp_path / "my journal" / "tasks.jsonl")
    [made] = await submit_tasks(harness.client, [PlannedTask(REQUEST)], ledger=ledger, seed=4)
    with pytest.raises(TaskTimeoutError) as stopped:
        await collect_video(
            harness.client, made.task_id, tmp_path, ledger=ledger, timeout_s=0, clock=harness.clock
        )
    message = str(stopped.value)
    assert glance_problems(message) == [], message
    assert f"`freesora wait {made.task_id} --journal {shlex.quote(str(ledger.path))}`" in message
