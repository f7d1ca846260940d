"""The one price table: every model, length and size priced; the sandbox charges the estimate."""

from __future__ import annotations

import pytest

from freesora.sandbox.pricing import credit_cost
from freesora.schemas.models import MODEL_SPECS, Size, VideoModel
from freesora.schemas.pricing import estimate_body, estimate_credits, price_sheet


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
