"""The daily budget and the user's prices, through `freesora` run as a user runs it against the
sandbox on 127.0.0.1: a refusal sends nothing, real processes at once never pass the budget,
reuse is free, a failed task's credits come back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from cli_runner import Cli

from freesora.sandbox import FAIL_MARKER, FAIL_NO_REFUND_MARKER
from freesora.schemas.pricing import estimate_body

TEXT = {"model": "sora-2-text-to-video", "nFrames": "10"}
PRICE = estimate_body(TEXT)  # 30: what the sandbox charges, and the budget counts
CREATE = ("create", "--model", "sora-2-text-to-video", "--prompt")


def sent(cli: Cli) -> int:
    return len(cli.sandbox.received.creates)


async def test_a_create_over_the_budget_exits_1_saying_why_and_sends_nothing(cli: Cli) -> None:
    cli.env["FREESORA_DAILY_BUDGET"] = str(PRICE - 1)
    ran = await cli(*CREATE, "A kite")
    assert ran.code == 1, ran.err
    assert f"this create costs ≈ {PRICE} credits" in ran.err
    assert f"0 of the {PRICE - 1}-credit daily budget were spent in the last 24 hours" in ran.err
    assert "Nothing was sent" in ran.err
    assert "FREESORA_DAILY_BUDGET" in ran.err  # how to raise it
    assert sent(cli) == 0


async def test_eight_processes_at_once_never_pass_the_budget_together(cli: Cli) -> None:
    cli.env["FREESORA_DAILY_BUDGET"] = str(3 * PRICE + PRICE // 2)  # room for 3 creates
    runs = await asyncio.gather(*(cli(*CREATE, f"A kite {n}") for n in range(8)))
    passed = [run for run in runs if run.code == 0]
    refused = [run for run in runs if run.code == 1 and "Daily budget reached" in run.err]
    assert (len(passed), len(refused)) == (3, 5), [run.err for run in runs]
    assert sent(cli) == 3
    spent = await cli("tasks", "--spent")
    assert spent.code == 0, spent.err
    assert f"last 24 h: {3 * PRICE} of {3 * PRICE + PRICE // 2} credits spent" in spent.out


async def test_a_reused_task_costs_nothing_and_the_list_shows_each_price(cli: Cli) -> None:
    cli.env["FREESORA_DAILY_BUDGET"] = str(PRICE)
    first = await cli(*CREATE, "A kite", "--seed", "7")
    again = await cli(*CREATE, "A kite", "--seed", "7")
    assert (first.code, again.code) == (0, 0), again.err
    assert again.last_line == first.last_line
    assert "reused" in again.err
    assert sent(cli) == 1
    other = await cli(*CREATE, "A kite", "--seed", "8")
    assert other.code == 1
    assert "Daily budget reached" in other.err
    listed = await cli("tasks")
    assert f"price={PRICE}" in listed.out


async def test_a_failed_task_gives_its_credits_back(cli: Cli) -> None:
    cli.env["FREESORA_DAILY_BUDGET"] = str(PRICE)
    failed = await cli(*CREATE, f"x {FAIL_MARKER}")
    assert failed.code == 0, failed.err
    refused = await cli(*CREATE, "A kite")
    assert refused.code == 1
    assert "Daily budget reached" in refused.err
    waited = await cli("wait", failed.last_line, "--interval", "0.2")
    assert waited.code == 1
    assert "refunded" in waited.err
    made = await cli(*CREATE, "A kite")
    assert made.code == 0, made.err
    assert sent(cli) == 2


async def test_a_failed_task_not_refunded_stays_spent_until_the_service_says_it_came_back(
    cli: Cli,
) -> None:
    cli.env["FREESORA_DAILY_BUDGET"] = str(PRICE)
    failed = await cli(*CREATE, f"x {FAIL_NO_REFUND_MARKER}")
    assert failed.code == 0, failed.err
    waited = await cli("wait", failed.last_line, "--interval", "0.2")
    assert waited.code == 1
    assert "credits were NOT refunded" in waited.err
    refused = await cli(*CREATE, "A kite")
    assert refused.code == 1, refused.err
    assert f"{PRICE} of the {PRICE}-credit daily budget were spent" in refused.err
    spent = await cli("tasks", "--spent")
    assert f"last 24 h: {PRICE} of {PRICE} credits spent" in spent.out
    assert sent(cli) == 1
    # The service gives the credits back later: the next create asks it again, and goes.
    cli.sandbox.refund(failed.last_line)
    made = await cli(*CREATE, "A kite")
    assert made.code == 0, made.err
    assert sent(cli) == 2
    listed = await cli("tasks")
    assert "credits refunded" in listed.out


async def test_the_users_prices_are_shown_by_a_dry_run_and_charged_against_the_budget(
    cli: Cli,
) -> None:
    config = Path(cli.env["FREESORA_CONFIG"])
    prices = {"sora-2-text-to-video": {"10": {"standard": 12}}}
    config.write_text(json.dumps({"prices": prices}), encoding="utf-8")
    dry = await cli(*CREATE, "A kite", "--dry-run")
    assert dry.code == 0, dry.err
    assert f"price: ≈ 12 credits (your price table in {config})" in dry.err
    estimate = await cli(*CREATE, "A kite", "--n-frames", "15", "--dry-run")
    assert "credits (the pack's estimate)" in estimate.err
    cli.env["FREESORA_DAILY_BUDGET"] = "20"
    assert (await cli(*CREATE, "A kite")).code == 0
    again = await cli(*CREATE, "A kite")  # the same command reuses its task: free
    assert again.code == 0, again.err
    assert "reused task" in again.err
    second = await cli(*CREATE, "A kite", "--seed", "1")  # a new paid take
    assert second.code == 1
    assert "costs ≈ 12 credits, and 12 of the 20-credit daily budget" in second.err
    assert sent(cli) == 1


async def test_a_wrong_price_table_is_refused_naming_the_entry_and_nothing_is_sent(
    cli: Cli,
) -> None:
    config = Path(cli.env["FREESORA_CONFIG"])
    prices = {"sora-2-pro-text-to-video": {"10": {"high": "x"}}}
    config.write_text(json.dumps({"prices": prices}), encoding="utf-8")
    ran = await cli(*CREATE, "A kite")
    assert ran.code == 2  # a bad setting: the command cannot run as given
    entry = "prices.sora-2-pro-text-to-video.10.high"
    assert f'{entry} must be a number of credits from 0 to 1,000,000,000, got "x"' in ran.err
    assert sent(cli) == 0


@pytest.mark.parametrize(
    ("config", "entry"),
    [
        pytest.param(
            '{"prices": {"sora-2-text-to-video": {"10": {"standard": 1%s}}}}' % ("0" * 400),
            "prices.sora-2-text-to-video.10.standard must be",
            id="price",
        ),
        pytest.param(
            '{"profiles": {"default": {"daily_budget": 1%s}}}' % ("0" * 400),
            '"daily_budget" in profile default of',
            id="budget",
        ),
    ],
)
async def test_a_price_or_budget_past_what_a_number_holds_is_one_line_naming_it_exit_2(
    cli: Cli, config: str, entry: str
) -> None:
    Path(cli.env["FREESORA_CONFIG"]).write_text(config, encoding="utf-8")
    ran = await cli(*CREATE, "A kite")
    assert ran.code == 2, ran.err
    [said] = [line for line in ran.err.splitlines() if line.startswith("freesora:")]
    assert entry in said
    assert "got a number of about 401 digits" in said
    assert "Traceback" not in ran.err
    assert sent(cli) == 0


async def test_a_storyboard_longer_than_the_chosen_length_is_refused_naming_those_that_hold_it(
    cli: Cli,
) -> None:
    """14 s of shots with n_frames 10 are never sent as 15 s (dearer than the length chosen)."""
    shots = ("--shot", "8:A harbour", "--shot", "6:A gull")
    ran = await cli("create", "--model", "sora-2-pro-storyboard", "--n-frames", "10", *shots)
    assert ran.code == 2
    assert "choose --n-frames 15 or 25" in ran.err
    assert sent(cli) == 0
