"""`freesora` with FREESORA_JOURNAL naming a farm's PostgreSQL: the real command, a real database.

A postgresql:// value is the database, never a relative file path: read as a path, each process
would write its own folder named `postgresql:` and `freesora tasks` would show nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cli_runner import Cli, cli_env

from freesora.sandbox import run_sandbox

KEY = "sk-sandbox-farm-cli-0123456789"
CREATE = ("create", "--model", "sora-2-text-to-video", "--prompt", "A farm boat", "--seed", "3")


@pytest.fixture
async def farm(pg_url: str, tmp_path: Path) -> AsyncIterator[Cli]:
    async with run_sandbox(task_seconds=1.0) as running:
        env = cli_env(running.base_url, tmp_path, key=KEY, journal=pg_url)
        yield Cli(running.sandbox, env, tmp_path)


async def test_a_postgresql_journal_is_the_database_not_a_folder_named_postgresql(
    farm: Cli,
) -> None:
    created = await farm(*CREATE)
    assert created.code == 0, created.err
    assert not (farm.cwd / "postgresql:").exists()
    listed = await farm("tasks")
    assert listed.code == 0, listed.err
    assert created.last_line in listed.out


async def test_the_same_seed_from_another_process_reuses_the_task_through_the_database(
    farm: Cli, tmp_path: Path
) -> None:
    first = await farm(*CREATE)
    # Another worker: another working folder and another local data folder, the same database.
    other = tmp_path / "worker-b"
    other.mkdir()
    farm.cwd = other
    farm.env["XDG_DATA_HOME"] = str(other / "data")
    second = await farm(*CREATE)
    assert first.code == second.code == 0, (first.err, second.err)
    assert first.last_line == second.last_line
    assert "reused task" in second.err
    assert len(farm.sandbox.received.creates) == 1


async def test_an_unreachable_database_is_an_error_before_anything_is_sent(farm: Cli) -> None:
    farm.env["FREESORA_JOURNAL"] = "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"
    ran = await farm(*CREATE)
    assert ran.code == 1
    assert "freesora:" in ran.err
    assert "Traceback" not in ran.err
    assert farm.sandbox.received.creates == []


async def test_the_cli_never_prints_the_database_password(farm: Cli, pg_url: str) -> None:
    secret = "Zq7secretPW"
    farm.env["FREESORA_JOURNAL"] = f"{pg_url}?password={secret}"
    listed = await farm("tasks")
    assert listed.code == 0, listed.err
    assert f"journal: {pg_url} (" in listed.err
    user, rest = pg_url.removeprefix("postgresql://").split("@", 1)
    farm.env["FREESORA_JOURNAL"] = f"postgresql://{user}:{secret}%zz@{rest}"  # libpq refuses it
    refused = await farm(*CREATE)
    assert refused.code == 1
    assert "could not be read" in refused.err
    assert "Traceback" not in refused.err
    assert secret not in listed.out + listed.err + refused.out + refused.err
    assert farm.sandbox.received.creates == []


async def test_eight_worker_processes_share_one_daily_budget_through_the_database(
    farm: Cli,
) -> None:
    """The budget is account-wide across a farm's workers (one transaction under an advisory
    lock per account), so processes at once never pass it together."""
    import asyncio

    from freesora.schemas.pricing import estimate_body

    price = estimate_body({"model": "sora-2-text-to-video", "nFrames": "10"})
    farm.env["FREESORA_DAILY_BUDGET"] = str(2 * price)  # room for exactly two creates
    boat = ("create", "--model", "sora-2-text-to-video", "--prompt")
    runs = await asyncio.gather(*(farm(*boat, f"A farm boat {n}") for n in range(8)))
    assert sorted(run.code for run in runs) == [0, 0, 1, 1, 1, 1, 1, 1], [r.err for r in runs]
    assert all("Daily budget reached" in run.err for run in runs if run.code)
    assert len(farm.sandbox.received.creates) == 2
    spent = await farm("tasks", "--spent")
    assert f"last 24 h: {2 * price} of {2 * price} credits spent" in spent.out


async def test_a_worker_whose_clock_is_a_day_behind_never_passes_the_farms_budget(
    farm: Cli,
) -> None:
    """The window and the charge times are the database's: a worker whose clock is 25 hours
    behind writes charges the others count, and counts theirs. Budget 90, price 30: 3 creates."""
    from freesora.schemas.pricing import estimate_body

    price = estimate_body({"model": "sora-2-text-to-video", "nFrames": "10"})
    farm.env["FREESORA_DAILY_BUDGET"] = str(3 * price)
    boat = ("create", "--model", "sora-2-text-to-video", "--prompt")
    behind = Cli(farm.sandbox, farm.env, farm.cwd, clock_shift_s=-25 * 3600)
    runs = [await behind(*boat, f"A late boat {n}") for n in range(3)]
    runs += [await farm(*boat, f"A boat on time {n}") for n in range(3)]
    runs += [await behind(*boat, "One more late boat")]
    assert [run.code for run in runs] == [0, 0, 0, 1, 1, 1, 1], [run.err for run in runs]
    assert all("Daily budget reached" in run.err for run in runs[3:])
    assert len(farm.sandbox.received.creates) == 3
    for worker in (farm, behind):
        spent = await worker("tasks", "--spent")
        assert f"last 24 h: {3 * price} of {3 * price} credits spent" in spent.out


async def test_a_farms_unrefunded_failure_stays_spent_until_the_service_says_it_came_back(
    farm: Cli,
) -> None:
    from freesora.sandbox import FAIL_NO_REFUND_MARKER
    from freesora.schemas.pricing import estimate_body

    price = estimate_body({"model": "sora-2-text-to-video", "nFrames": "10"})
    farm.env["FREESORA_DAILY_BUDGET"] = str(price)
    boat = ("create", "--model", "sora-2-text-to-video", "--prompt")
    failed = await farm(*boat, f"A boat {FAIL_NO_REFUND_MARKER}")
    assert failed.code == 0, failed.err
    waited = await farm("wait", failed.last_line, "--interval", "0.2")
    assert "credits were NOT refunded" in waited.err
    refused = await farm(*boat, "A dry boat")
    assert refused.code == 1
    assert "Daily budget reached" in refused.err
    farm.sandbox.refund(failed.last_line)
    made = await farm(*boat, "A dry boat")
    assert made.code == 0, made.err
    assert len(farm.sandbox.received.creates) == 2
