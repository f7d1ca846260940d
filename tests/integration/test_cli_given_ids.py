"""`freesora wait ID` and `freesora tasks adopt|forget` with ids a person types: an id the
service does not know leaves nothing behind, `forget` says what it did to what the entry is,
and `wait --out DIR` saves in DIR. The command run as a user runs it, on the sandbox."""

from __future__ import annotations

import re
from pathlib import Path

from cli_runner import Cli

CREATE = ("create", "--model", "sora-2-text-to-video", "--prompt")
TYPO = "typo-id-123"


def takes(listed: str) -> list[str]:
    """The `take=` of each line `freesora tasks` printed."""
    return re.findall(r"take=(\S+)", listed)


async def unknown_take(cli: Cli) -> tuple[str, str]:
    """A take whose create's answer was lost (the sandbox made its task): the take as
    `freesora tasks` shows it, and the task's id."""
    cli.sandbox.faults.add("create", "reset_after")
    lost = await cli(*CREATE, "A lighthouse")
    assert lost.code != 0, lost.out
    [take] = takes((await cli("tasks", "--unfinished")).out)
    [task_id] = list(cli.sandbox.tasks)
    return take, task_id


async def test_wait_on_an_id_the_service_does_not_know_leaves_nothing_behind(cli: Cli) -> None:
    ran = await cli("wait", TYPO, "--interval", "0.2")
    assert ran.code == 1
    assert f"does not know task {TYPO}" in ran.err
    listed = await cli("tasks")
    assert listed.code == 0, listed.err
    assert listed.out == ""
    journal = Path(cli.env["FREESORA_JOURNAL"])
    assert not journal.exists() or TYPO not in journal.read_text("utf-8")


async def test_forget_of_a_given_id_drops_it_and_says_nothing_was_cancelled(
    cli: Cli, tmp_path: Path
) -> None:
    elsewhere = {**cli.env, "FREESORA_JOURNAL": str(tmp_path / "elsewhere.jsonl")}
    made = await Cli(cli.sandbox, elsewhere, cli.cwd)(*CREATE, "A boat")
    task_id = made.last_line
    waited = await cli("wait", task_id, "--interval", "0.2")
    assert waited.code == 0, waited.err
    [shown] = takes((await cli("tasks")).out)
    forgot = await cli("tasks", "forget", shown)
    assert forgot.code == 0, forgot.err
    assert f"task {task_id} is no longer listed; nothing was cancelled at the service" in (
        forgot.out
    )
    assert "created again" not in forgot.out
    assert (await cli("tasks")).out == ""


async def test_forget_of_a_take_says_its_next_run_creates_a_new_task(cli: Cli) -> None:
    take, _ = await unknown_take(cli)
    forgot = await cli("tasks", "forget", take)
    assert forgot.code == 0, forgot.err
    assert f"take {take} released: its next run creates a new task" in forgot.out
    assert "forgotten" in (await cli("tasks")).out


async def test_tasks_adopt_asks_the_service_before_it_records_an_id(cli: Cli) -> None:
    take, task_id = await unknown_take(cli)
    refused = await cli("tasks", "adopt", take, TYPO)
    assert refused.code == 1
    assert f"does not know task {TYPO}" in refused.err
    assert "unknown" in (await cli("tasks")).out
    adopted = await cli("tasks", "adopt", take, task_id)
    assert adopted.code == 0, adopted.err
    assert f"take {take} is now task {task_id}" in adopted.out
    again = await cli("tasks", "adopt", take, task_id)
    assert again.code == 1
    assert "not unknown" in again.err


async def test_wait_saves_in_the_folder_asked_even_when_the_video_was_saved_before(
    cli: Cli,
) -> None:
    task_id = (await cli(*CREATE, "A boat")).last_line
    first = await cli("wait", task_id, "--out", "a", "--interval", "0.2")
    assert first.code == 0, first.err
    second = await cli("wait", task_id, "--out", "b", "--interval", "0.2")
    assert second.code == 0, second.err
    saved = Path(second.last_line)
    assert saved == cli.cwd / "b" / f"freesora_{task_id}.mp4"
    assert saved.read_bytes() == Path(first.last_line).read_bytes()
    assert f"copied to {saved}" in second.err
    [line] = (await cli("tasks")).out.splitlines()
    assert line.endswith(str(saved))  # recorded with its absolute name
