"""The one price table: every model, length and size priced; the sandbox charges the estimate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freesora.errors import ConfigError
from freesora.sandbox.pricing import credit_cost
from freesora.schemas.models import MODEL_SPECS, Size, VideoModel
from freesora.schemas.pricing import (
    estimate_body,
    estimate_credits,
    estimate_table,
    load_user_prices,
    merged_prices,
    price_of,
    price_sheet,
    user_prices,
)


def test_the_sheet_prices_every_model_length_and_size_the_service_accepts() -> None:
    sheet = price_sheet()
    assert sheet["estimate"] is True
    assert set(sheet["models"]) == {model.value for model in VideoModel}
    for model, spec in MODEL_SPECS.items():
        credits = sheet["models"][model.value]["credits"]
        assert set(credits) == {str(seconds) for seconds in spec.frames}
        for by_size in credits.values():
            assert set(by_size) == ({"standard", "high"} if spec.takes_size else {"standard"})
            assert all(isinstance(value, int) and value > 0 for value in by_size.values())


@pytest.mark.parametrize("model", list(VideoModel))
def test_longer_and_high_size_clips_never_cost_less(model: VideoModel) -> None:
    spec = MODEL_SPECS[model]
    costs = [estimate_credits(model, seconds) for seconds in spec.frames]
    assert costs == sorted(costs)
    high = estimate_credits(model, spec.frames[0], Size.HIGH)
    standard = estimate_credits(model, spec.frames[0], Size.STANDARD)
    assert high > standard if spec.takes_size else high == standard


@pytest.mark.parametrize("model", list(VideoModel))
def test_the_sandbox_charges_exactly_the_estimate_of_what_it_was_sent(model: VideoModel) -> None:
    spec = MODEL_SPECS[model]
    for seconds in spec.frames:
        body = {"model": model.value, "nFrames": str(seconds)}
        sizes = [{"size": size.value} for size in Size] if spec.takes_size else [{}]
        for size in sizes:
            sent = {**body, **size}
            assert credit_cost(sent) == estimate_body(sent)
            assert (
                estimate_body(sent)
                == price_sheet()["models"][model.value]["credits"][str(seconds)][
                    size.get("size", "standard")
                ]
            )


def test_an_absent_size_is_priced_as_the_service_default_high_for_pro_text() -> None:
    body = {"model": VideoModel.PRO_TEXT_TO_VIDEO.value, "nFrames": "10"}
    assert estimate_body(body) == estimate_credits(VideoModel.PRO_TEXT_TO_VIDEO, 10, Size.HIGH)


# --- the user's prices ------------------------------------------------------------------------

RULE = "must be a number of credits from 0 to 1,000,000,000"  # config.credits' one range
PRO = VideoModel.PRO_TEXT_TO_VIDEO.value


def test_a_user_price_replaces_only_its_own_entry_of_the_estimate() -> None:
    user = user_prices({PRO: {"10": {"high": 375}}})
    merged = merged_prices(user)
    assert merged[PRO]["10"]["high"] == 375
    estimate = estimate_table()
    assert merged[PRO]["10"]["standard"] == estimate[PRO]["10"]["standard"]
    assert merged[PRO]["15"] == estimate[PRO]["15"]
    body = {"model": PRO, "prompt": "p", "nFrames": "10", "size": "high"}
    assert price_of(body, merged) == 375
    assert price_of(body) == estimate_credits(VideoModel.PRO_TEXT_TO_VIDEO, 10, Size.HIGH)


def test_the_sheet_says_which_entries_are_the_users_and_where_the_table_lives() -> None:
    sheet = price_sheet(user_prices({PRO: {"15": {"standard": 99.5}}}), config_file="/x/c.json")
    assert sheet["models"][PRO]["credits"]["15"]["standard"] == 99.5
    assert sheet["user"] == {PRO: {"15": ["standard"]}}
    assert sheet["config_file"] == "/x/c.json"
    assert price_sheet()["user"] == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {PRO: {"10": {"high": "x"}}},
            f'prices.{PRO}.10.high {RULE}, got "x"',
        ),
        (
            {PRO: {"10": {"high": -1}}},
            f"prices.{PRO}.10.high {RULE}, got -1",
        ),
        ({PRO: {"10": {"high": True}}}, f"prices.{PRO}.10.high {RULE}"),
        ({PRO: {"10": {"high": float("inf")}}}, f"prices.{PRO}.10.high {RULE}, got inf"),
        ({PRO: {"10": {"high": float("nan")}}}, f"prices.{PRO}.10.high {RULE}, got nan"),
        ({PRO: {"10": {"high": 10**9 + 0.5}}}, f"prices.{PRO}.10.high {RULE}, got 1000000000.5"),
        # Past what a float holds: the one-line error, never an OverflowError.
        (
            {PRO: {"10": {"high": 10**400}}},
            f"prices.{PRO}.10.high {RULE}, got a number of about 401 digits",
        ),
        ({PRO: {"20": {"high": 1}}}, f"prices.{PRO}.20: {PRO} offers clip lengths 10, 15 only"),
        ({PRO: {"10": {"huge": 1}}}, f"prices.{PRO}.10.huge: {PRO} is priced at standard, high"),
        ({"sora-2-text-to-video": {"10": {"high": 1}}}, "is priced at standard only"),
        ({"sora-3": {}}, "prices.sora-3 is not a model"),
        ({PRO: [1]}, f"prices.{PRO} must be a JSON object of clip lengths"),
        ({PRO: {"10": 5}}, f"prices.{PRO}.10 must be a JSON object"),
        ([1, 2], "prices must be a JSON object of models"),
    ],
)
def test_a_wrong_entry_is_refused_naming_its_path_in_the_table(raw: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        user_prices(raw)
    assert message in str(caught.value)


def test_the_config_files_prices_are_read_and_checked(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    env = {"FREESORA_CONFIG": str(config)}
    assert load_user_prices(env) == {}
    config.write_text(json.dumps({"prices": {PRO: {"10": {"high": 375}}}}), encoding="utf-8")
    assert load_user_prices(env) == {PRO: {"10": {"high": 375}}}
    config.write_text(json.dumps({"prices": {PRO: {"10": {"high": "x"}}}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"prices\.sora-2-pro-text-to-video\.10\.high"):
        load_user_prices(env)
