"""The sandbox's create validator and credit table as pure functions (API.md's rules, no server)."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from freesora.sandbox import validate_create
from freesora.sandbox.pricing import credit_cost
from freesora.schemas.models import VideoModel
from freesora.schemas.pricing import estimate_credits

TEXT = {"model": "sora-2-text-to-video", "prompt": "A red kite over a beach", "nFrames": "10"}


def data_url(fmt: str = "PNG", mime: str = "png", size: tuple[int, int] = (8, 8)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return f"data:image/{mime};base64,{base64.b64encode(buffer.getvalue()).decode()}"


def shots(*durations: float) -> list[dict[str, Any]]:
    return [{"Scene": f"Shot {i}", "duration": d} for i, d in enumerate(durations)]


STORY = {"model": "sora-2-pro-storyboard", "shots": shots(5, 5)}
VALID_BODIES = {
    "text": TEXT,
    "text stable": {"model": "sora-2-text-to-video-stable", "prompt": "p", "nFrames": "15"},
    "pro text, every field": {
        "model": "sora-2-pro-text-to-video",
        "prompt": "A city at sunset",
        "aspectRatio": "landscape",
        "nFrames": "10",
        "size": "high",
        "removeWatermark": True,
        "isPublic": True,
    },
    "image with png data": {
        "model": "sora-2-image-to-video",
        "prompt": "p",
        "imageData": data_url(),
    },
    "stable image, jpeg": {
        "model": "sora-2-image-to-video-stable",
        "prompt": "p",
        "imageData": data_url("JPEG", "jpeg"),
        "aspectRatio": "portrait",
        "nFrames": "15",
    },
    "pro image, webp, standard": {
        "model": "sora-2-pro-image-to-video",
        "prompt": "p",
        "imageData": data_url("WEBP", "webp"),
        "size": "standard",
    },
    "image by url": {
        "model": "sora-2-image-to-video",
        "prompt": "p",
        "imageUrl": "https://e.x/a.png",
    },
    "storyboard, default 15 s": {**STORY, "shots": shots(7.5, 7.5)},
    "storyboard, 25 s, edge durations": {**STORY, "nFrames": "25", "shots": shots(0.1, 15, 9.9)},
    "storyboard, float sum": {**STORY, "nFrames": "10", "shots": shots(3.3, 3.3, 3.4)},
    "prompt of exactly 10,000 chars": {**TEXT, "prompt": "x" * 10_000},
}


@pytest.mark.parametrize("body", VALID_BODIES.values(), ids=VALID_BODIES.keys())
def test_validator_accepts_what_api_md_allows(body: dict[str, Any]) -> None:
    assert validate_create(body) == []


PRO_TEXT = {"model": "sora-2-pro-text-to-video", "prompt": "p"}
IMAGE = {"model": "sora-2-image-to-video", "prompt": "p"}
STABLE = {"model": "sora-2-text-to-video-stable", "prompt": "p"}
TOO_BIG = "data:image/png;base64," + "A" * (14 * 1024 * 1024)
JPEG_AS_PNG = data_url("JPEG", "png")
INVALID_BODIES: dict[str, tuple[Any, str]] = {
    "not an object": ([TEXT], "body"),
    "missing model": ({"prompt": "p"}, "model"),
    "unknown model": ({**TEXT, "model": "sora-3"}, "model"),
    "unknown field": ({**TEXT, "seed": 1}, "seed"),
    "null field": ({**TEXT, "aspectRatio": None}, "aspectRatio"),
    "missing prompt": ({"model": "sora-2-text-to-video"}, "prompt"),
    "blank prompt": ({**TEXT, "prompt": "  \n"}, "prompt"),
    "prompt too long": ({**TEXT, "prompt": "x" * 10_001}, "prompt"),
    "prompt not a string": ({**TEXT, "prompt": 5}, "prompt"),
    "prompt on storyboard": ({**STORY, "prompt": "p"}, "prompt"),
    "image model without image": (IMAGE, "imageData"),
    "both image fields": (
        {**IMAGE, "imageData": data_url(), "imageUrl": "https://e.x"},
        "imageData, imageUrl",
    ),
    "image on a text model": ({**TEXT, "imageUrl": "https://e.x/a.png"}, "imageUrl"),
    "image on storyboard": ({**STORY, "imageData": data_url()}, "imageData"),
    "not a data url": ({**IMAGE, "imageData": "iVBORw0KGgo="}, "imageData"),
    "gif data url": ({**IMAGE, "imageData": data_url("GIF", "gif")}, "imageData"),
    "bad base64": ({**IMAGE, "imageData": "data:image/png;base64,@@@"}, "imageData"),
    "over 10 MB": ({**IMAGE, "imageData": TOO_BIG}, "imageData"),
    "declared png, is jpeg": ({**IMAGE, "imageData": JPEG_AS_PNG}, "imageData"),
    "not an image": ({**IMAGE, "imageData": "data:image/png;base64,aGVsbG8="}, "imageData"),
    "ftp image url": ({**IMAGE, "imageUrl": "ftp://e.x/a.png"}, "imageUrl"),
    "square aspect": ({**TEXT, "aspectRatio": "square"}, "aspectRatio"),
    "nFrames as int": ({**TEXT, "nFrames": 10}, "nFrames"),
    "nFrames 25 off storyboard": ({**TEXT, "nFrames": "25"}, "nFrames"),
    "nFrames 20 on storyboard": ({**STORY, "nFrames": "20"}, "nFrames"),
    "size on a non-pro model": ({**TEXT, "size": "high"}, "size"),
    "size on storyboard": ({**STORY, "size": "high"}, "size"),
    "unknown size": ({**PRO_TEXT, "size": "ultra"}, "size"),
    "removeWatermark on stable": ({**STABLE, "removeWatermark": True}, "removeWatermark"),
    "removeWatermark on storyboard": ({**STORY, "removeWatermark": False}, "removeWatermark"),
    "removeWatermark not bool": ({**TEXT, "removeWatermark": "yes"}, "removeWatermark"),
    "isPublic not bool": ({**TEXT, "isPublic": 1}, "isPublic"),
    "shots off storyboard": ({**TEXT, "shots": shots(5)}, "shots"),
    "storyboard without shots": ({"model": "sora-2-pro-storyboard"}, "shots"),
    "no shots": ({**STORY, "shots": []}, "shots"),
    "eleven shots": ({**STORY, "nFrames": "25", "shots": shots(*[1] * 11)}, "shots"),
    "lowercase scene": ({**STORY, "shots": [{"scene": "s", "duration": 5}]}, "shots[0].scene"),
    "blank Scene": ({**STORY, "shots": [{"Scene": " ", "duration": 5}]}, "shots[0].Scene"),
    "extra shot key": ({**STORY, "shots": [{"Scene": "s", "duration": 5, "x": 1}]}, "shots[0].x"),
    "duration too short": ({**STORY, "shots": shots(0.05)}, "shots[0].duration"),
    "duration too long": ({**STORY, "nFrames": "25", "shots": shots(15.5)}, "shots[0].duration"),
    "duration as text": (
        {**STORY, "shots": [{"Scene": "s", "duration": "5"}]},
        "shots[0].duration",
    ),
    "duration as bool": (
        {**STORY, "shots": [{"Scene": "s", "duration": True}]},
        "shots[0].duration",
    ),
    "total over default 15 s": ({**STORY, "shots": shots(10, 6)}, "shots"),
    "total over nFrames 10": ({**STORY, "nFrames": "10", "shots": shots(5, 5.5)}, "shots"),
}


@pytest.mark.parametrize(("body", "field"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_validator_rejects_naming_the_field(body: Any, field: str) -> None:
    problems = validate_create(body)
    assert any(problem.startswith(f"{field}:") for problem in problems), problems


def test_the_sandbox_charges_what_the_price_table_estimates() -> None:
    assert credit_cost(TEXT) == estimate_credits(VideoModel.TEXT_TO_VIDEO, 10) == 30
    assert credit_cost({**TEXT, "nFrames": "15"}) == 45
    assert credit_cost({**PRO_TEXT, "size": "standard"}) == 150
    assert credit_cost(PRO_TEXT) == 330  # Pro text defaults to high, as upstream
    assert credit_cost({**STORY, "nFrames": "25"}) == 375
