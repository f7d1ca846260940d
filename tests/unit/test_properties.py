"""Every input a creation node can receive becomes a request the service takes, or a refusal.

The oracle is the sandbox's `validate_create`, written from API.md independently of `schemas/`.
The nodes cannot be imported without ComfyUI, so their input spaces are restated here from
`schemas/models.py` (the table the nodes' combos are read from), widened with garbage.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from freesora.errors import InvalidRequestError
from freesora.jobs import add_shot, check_widgets, describe_shots
from freesora.sandbox.validation import validate_create
from freesora.schemas import ModelKind, VideoModel, models_of, request_from_widgets
from freesora.schemas.models import MAX_SHOTS

# 4 properties x 300 examples = 1,200 in CI; deterministic and without a local example database.
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

STORYBOARD = VideoModel.PRO_STORYBOARD.value
TEXT_IDS = [m.value for m in models_of(ModelKind.TEXT)]
IMAGE_IDS = [m.value for m in models_of(ModelKind.IMAGE)]
# From API.md, not from the pack's table: the only models with `size`, and those without
# `removeWatermark` are the stable ones and the storyboard.
SIZED = {"sora-2-pro-text-to-video", "sora-2-pro-image-to-video"}
UNKNOWN_KEYS = ["seed", "profile", "image", "fit", "negative_prompt", "duration", "foo", "Scene"]

# --- Widget values --------------------------------------------------------------------------

# "auto" is left out of the garbage: the text and storyboard nodes' queue-time check takes it
# (see test_auto_aspect_ratio_..._is_refused_at_queue_time), and the image node resolves it
# before any request is built.
garbage = st.one_of(
    st.none(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12).filter(lambda s: s.strip().lower() != "auto"),
    st.sampled_from([b"10", [], {}, ["landscape"], 1j]),
)


def mostly(valid: st.SearchStrategy[Any], *hostile: st.SearchStrategy[Any]) -> Any:
    """`valid` 4 times in 5 (shrinking towards it), so whole requests still succeed often."""
    bad = st.one_of(*hostile)
    return st.integers(0, 4).flatmap(lambda i: valid if i < 4 else bad)


def model_ids(own: list[str]) -> st.SearchStrategy[Any]:
    others = [m.value for m in VideoModel if m.value not in own]
    near_misses = [own[0].upper(), f" {own[0]}", own[0] + "-v2", "sora-2", ""]
    return mostly(st.sampled_from(own), st.sampled_from(others + near_misses), garbage)


prompts = mostly(
    st.text(min_size=1, max_size=60).filter(str.strip),
    st.sampled_from(
        [
            "",
            " ",
            "\n\t ",
            "x" * 10_000,
            "x" * 10_001,
            "é" * 10_000,
            "🎬" * 10_001,
            " " * 10_000,
            "x" * 9_999 + " ",
            "\x00 control \x7f",
        ]
    ),
    st.text(max_size=60),
)
aspect_ratios = mostly(st.sampled_from(["landscape", "portrait"]), garbage)
sizes = mostly(st.sampled_from(["standard", "high"]), garbage)
flags = mostly(st.booleans(), st.sampled_from(["yes", "no", "", "maybe", 0, 1, 2, 0.5, None]))


def n_frames_values(allowed: list[str]) -> st.SearchStrategy[Any]:
    return mostly(
        st.sampled_from(allowed),
        st.sampled_from([int(a) for a in allowed] + [float(a) for a in allowed] + [None]),
        st.sampled_from(["5", "12.5", "20", "25", " 10 ", "", "ten", "nan", "inf", "-10", "0"]),
        st.one_of(
            st.text(max_size=6),
            st.integers(-(10**30), 10**30),
            st.floats(allow_nan=True, allow_infinity=True),
            st.booleans(),
        ),
    )


extra_keys = st.one_of(
    st.just({}),
    st.just({}),
    st.just({}),
    st.dictionaries(st.sampled_from(UNKNOWN_KEYS), st.integers(0, 9), min_size=1, max_size=1),
)

# --- Images ---------------------------------------------------------------------------------

VALID_IMAGES = [("PNG", "RGB"), ("PNG", "RGBA"), ("PNG", "L"), ("JPEG", "RGB"), ("WEBP", "RGB")]
VALID_IMAGES += [("WEBP", "RGBA"), ("JPEG", "L")]
MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


@functools.cache
def image_bytes(fmt: str, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (4, 4), "teal" if mode != "L" else 128).save(buffer, fmt)
    return buffer.getvalue()


@functools.cache
def data_url(fmt: str, mode: str = "RGB", mime: str | None = None) -> str:
    payload = base64.b64encode(image_bytes(fmt, mode)).decode("ascii")
    return f"data:{mime or MIME[fmt]};base64,{payload}"


def png_url_with(payload_edit: str, at: int = 8) -> str:
    url = data_url("PNG")
    comma = url.index(",") + 1
    return url[: comma + at] + payload_edit + url[comma + at :]


INVALID_DATA_URLS = [
    # wrong mime
    data_url("GIF", "RGB"),
    "data:text/plain;base64,aGVsbG8gd29ybGQ=",
    "data:image/svg+xml;base64,PHN2Zy8+",
    "data:image/bmp;base64,Qk0=",
    "data:;base64," + data_url("PNG").partition(",")[2],
    "data:image/PNG;base64," + data_url("PNG").partition(",")[2],
    "data:image/png;charset=utf-8;base64," + data_url("PNG").partition(",")[2],
    # bad base64
    png_url_with("!"),
    png_url_with("@@@@"),
    png_url_with(" "),
    png_url_with("\n"),
    "data:image/png;base64,=",
    "data:image/jpeg;base64,%%%%",
    # not a data URL
    data_url("PNG").partition(",")[2],
    "https://example.com/a.png",
    "data:image/png,raw-bytes",
    "data:image/png;base64",
    "DATA:image/png;base64," + data_url("PNG").partition(",")[2],
    "image/png;base64," + data_url("PNG").partition(",")[2],
]
VALID_URLS = [
    "https://example.com/a.png",
    "http://127.0.0.1:8188/view?filename=x.png&type=output",
    "https://cdn.example.org/path/to/image.webp?sig=abc#frag",
    "HTTPS://EXAMPLE.COM/A.JPG",
]
INVALID_URLS = [
    "ftp://example.com/a.png",
    "example.com/a.png",
    "//example.com/a.png",
    "http://",
    "https:///a.png",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "http://exa mple.com/a.png",
    "https://example.com/a b.png",
]

valid_data_urls = st.sampled_from(VALID_IMAGES).map(lambda spec: data_url(*spec))
# No "" for either image field here: see test_an_empty_image_field_is_never_sent.
image_datas = mostly(
    st.one_of(st.none(), valid_data_urls),
    st.sampled_from(INVALID_DATA_URLS),
    st.text(min_size=1, max_size=20),
)
image_urls = mostly(
    st.one_of(
        st.none(),
        st.sampled_from(VALID_URLS),
        st.builds(
            "https://{}.com/{}.png".format,
            st.from_regex(r"[a-z]{1,10}", fullmatch=True),
            st.from_regex(r"[a-z0-9_-]{0,10}", fullmatch=True),
        ),
    ),
    st.sampled_from(INVALID_URLS),
    # "[": see test_a_malformed_ipv6_image_url_is_refused_naming_image_url.
    st.text(min_size=1, max_size=20).filter(lambda s: "[" not in s),
)

# --- Shots ----------------------------------------------------------------------------------

scenes = st.one_of(st.sampled_from(["A harbour at dawn", "", "   ", "\n\t"]), st.text(max_size=30))
durations = st.one_of(
    st.sampled_from([0, 0.0, -1, -0.1, 0.1, 0.09999, 15, 15.0, 15.01, 1, 2.5, 5, 10]),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, 5e-324]),
    st.integers(-5, 20),
    # Hundredths (the Shot Builder steps by 0.1); full-precision sums: see the rounding test.
    st.floats(0, 16).map(lambda d: round(d, 2)),
    st.floats(0.1, 3).map(lambda d: round(d, 2)),
)
shots_lists = st.lists(st.fixed_dictionaries({"scene": scenes, "duration": durations}), max_size=12)
short_shots_lists = st.lists(
    st.fixed_dictionaries(
        {"scene": st.just("A gull lands"), "duration": st.sampled_from([0.1, 1, 2.5, 3.3, 3.4])}
    ),
    min_size=1,
    max_size=6,
)

# --- The oracle -----------------------------------------------------------------------------


def applicable_fields(payload: dict[str, Any]) -> set[str]:
    """What API.md says a body for this model carries (the pack fills in every default)."""
    model = payload["model"]
    fields = {"model", "aspectRatio", "nFrames", "isPublic"}
    if model == STORYBOARD:
        return fields | {"shots"}
    fields.add("prompt")
    if model in SIZED:
        fields.add("size")
    if "stable" not in model:
        fields.add("removeWatermark")
    if "image-to-video" in model:
        fields.add("imageData" if "imageData" in payload else "imageUrl")
    return fields


def outcome(widgets: dict[str, Any]) -> dict[str, Any] | InvalidRequestError:
    """The payload `request_from_widgets` makes, checked by the sandbox, or its refusal."""
    try:
        request = request_from_widgets(**dict(widgets))
    except InvalidRequestError as exc:
        refusal = exc
    else:
        refusal = None
    if refusal is not None:
        assert refusal.field, f"a refusal must name its field: {refusal!r}"
        assert refusal.field in str(refusal), f"the message must name {refusal.field!r}"
        return refusal
    payload = request.to_payload()
    json.dumps(payload, allow_nan=False)
    assert validate_create(payload) == [], payload
    assert isinstance(payload["nFrames"], str)
    assert set(payload) == applicable_fields(payload), payload
    return payload


def check_queue_time_agrees(widgets: dict[str, Any], result: object) -> None:
    """`check_widgets` (queue time) says yes exactly when the request can be built (run time)."""
    problem = check_widgets(**widgets)
    if isinstance(result, InvalidRequestError):
        assert problem == str(result)
    else:
        assert problem is None


def label(result: object) -> str:
    return f"refused: {result.field}" if isinstance(result, InvalidRequestError) else "request"


def check_echoed(widgets: dict[str, Any], payload: dict[str, Any]) -> None:
    """The values the user chose are the values sent (nFrames only when already allowed)."""
    model = payload["model"]
    assert payload["aspectRatio"] == widgets["aspect_ratio"]
    if isinstance(widgets["is_public"], bool):
        assert payload["isPublic"] is widgets["is_public"]
    if model != STORYBOARD:
        assert payload["prompt"] == widgets["prompt"]
    if model in SIZED and widgets["size"] in ("standard", "high"):
        assert payload["size"] == widgets["size"]
    if "removeWatermark" in payload and isinstance(widgets["remove_watermark"], bool):
        assert payload["removeWatermark"] is widgets["remove_watermark"]
    frames = widgets["n_frames"]
    if frames is None or frames == "":
        assert payload["nFrames"] == ("15" if model == STORYBOARD else "10")
    elif not isinstance(frames, bool) and str(frames) in ("10", "15", "10.0", "15.0"):
        assert payload["nFrames"] == str(int(float(frames)))


# --- Properties -----------------------------------------------------------------------------


@PROPERTY
@given(
    model=model_ids(TEXT_IDS),
    prompt=prompts,
    aspect_ratio=aspect_ratios,
    n_frames=n_frames_values(["10", "15"]),
    size=sizes,
    remove_watermark=flags,
    is_public=flags,
    extra=extra_keys,
)
def test_text_to_video_inputs_become_an_accepted_request_or_a_named_refusal(
    extra: dict[str, Any], **widgets: Any
) -> None:
    widgets.update(extra)
    result = outcome(widgets)
    event(label(result))
    check_queue_time_agrees(widgets, result)
    if isinstance(result, dict):
        check_echoed(widgets, result)


@PROPERTY
@given(
    model=model_ids(IMAGE_IDS),
    prompt=prompts,
    image_data=image_datas,
    image_url=image_urls,
    aspect_ratio=aspect_ratios,
    n_frames=n_frames_values(["10", "15"]),
    size=sizes,
    remove_watermark=flags,
    is_public=flags,
    extra=extra_keys,
)
def test_image_to_video_inputs_become_an_accepted_request_or_a_named_refusal(
    extra: dict[str, Any], **widgets: Any
) -> None:
    widgets.update(extra)
    result = outcome(widgets)
    event(label(result))
    check_queue_time_agrees(widgets, result)
    if isinstance(result, dict):
        check_echoed(widgets, result)
        if widgets["image_data"] and "image-to-video" in result["model"]:
            assert result.get("imageData") == widgets["image_data"], "the data URL must win"


@PROPERTY
@given(
    shots=st.one_of(shots_lists, short_shots_lists),
    aspect_ratio=aspect_ratios,
    n_frames=n_frames_values(["10", "15", "25"]),
    is_public=flags,
    extra=extra_keys,
)
def test_storyboard_inputs_become_an_accepted_request_or_a_named_refusal(
    extra: dict[str, Any], **widgets: Any
) -> None:
    widgets = {"model": STORYBOARD, **widgets, **extra}
    result = outcome(widgets)
    event(label(result))
    check_queue_time_agrees(widgets, result)
    if isinstance(result, dict):
        check_echoed(widgets, result)
        sent = [(shot["Scene"], shot["duration"]) for shot in result["shots"]]
        given_ = [(shot["scene"].strip(), shot["duration"]) for shot in widgets["shots"]]
        assert sent == given_


@PROPERTY
@given(
    before=st.integers(0, 12),
    scene=st.one_of(scenes, st.sampled_from(["x" * 10_001])),
    duration_s=st.one_of(durations, st.sampled_from([None, "5", "five", True])),
)
def test_shot_builder_adds_a_shot_the_storyboard_accepts_or_names_the_problem(
    before: int, scene: str, duration_s: Any
) -> None:
    earlier = [{"scene": "An earlier shot", "duration": 1}] * before
    try:
        shots = add_shot(earlier, scene, duration_s)
    except InvalidRequestError as exc:
        refusal: InvalidRequestError | None = exc
    else:
        refusal = None
    event(label(refusal) if refusal is not None else "shot added")
    if refusal is not None:
        assert refusal.field in ("scene", "duration_s", "shots"), repr(refusal)
        assert refusal.field in str(refusal)
        assert (refusal.field == "shots") is (before >= MAX_SHOTS)
        return
    assert before < MAX_SHOTS
    assert shots[:-1] == earlier
    assert shots[-1]["scene"] == scene.strip()
    assert describe_shots(shots)
    payload = outcome({"model": STORYBOARD, "n_frames": "15", "shots": shots[-1:]})
    assert isinstance(payload, dict), f"a built shot must fit a 15 s storyboard: {payload}"


# --- Examples that pin both sides of each boundary ------------------------------------------


def text_widgets(**change: Any) -> dict[str, Any]:
    widgets = {
        "model": TEXT_IDS[0],
        "prompt": "A paper boat",
        "aspect_ratio": "landscape",
        "n_frames": "10",
        "size": "standard",
        "remove_watermark": True,
        "is_public": True,
    }
    return {**widgets, **change}


def image_widgets(**change: Any) -> dict[str, Any]:
    return text_widgets(model=IMAGE_IDS[0], **change)


@pytest.mark.parametrize(("prompt", "accepted"), [("x" * 10_000, True), ("x" * 10_001, False)])
def test_the_prompt_limit_is_10000_characters_inclusive(prompt: str, accepted: bool) -> None:
    assert isinstance(outcome(text_widgets(prompt=prompt)), dict) is accepted


@pytest.mark.parametrize("spec", VALID_IMAGES, ids=lambda spec: "-".join(spec))
def test_every_small_image_data_url_of_the_pool_is_accepted(spec: tuple[str, str]) -> None:
    assert isinstance(outcome(image_widgets(image_data=data_url(*spec))), dict)


@pytest.mark.parametrize("url", INVALID_DATA_URLS, ids=range(len(INVALID_DATA_URLS)))
def test_every_invalid_data_url_of_the_pool_is_refused_naming_image(url: str) -> None:
    result = outcome(image_widgets(image_data=url))
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image"


@pytest.mark.parametrize("url", INVALID_URLS)
def test_every_invalid_image_url_of_the_pool_is_refused_naming_image_url(url: str) -> None:
    result = outcome(image_widgets(image_url=url))
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image_url"


@pytest.mark.parametrize(
    ("durations", "n_frames", "accepted"),
    [([5, 5], "10", True), ([5, 5.5], "10", False), ([3.3, 3.3, 3.4], "10", True)],
)
def test_storyboard_shots_must_fit_n_frames(
    durations: list[float], n_frames: str, accepted: bool
) -> None:
    shots = [{"scene": "A shot", "duration": d} for d in durations]
    result = outcome({"model": STORYBOARD, "n_frames": n_frames, "shots": shots})
    assert isinstance(result, dict) is accepted


# --- Bugs this file found, fixed since: kept as regression tests ---------------------------


def test_shots_a_fraction_of_a_millisecond_too_long_are_refused() -> None:
    shots = [{"scene": "A", "duration": 9.9004}, {"scene": "B", "duration": 0.1}]
    result = outcome({"model": STORYBOARD, "n_frames": "10", "shots": shots})
    assert isinstance(result, InvalidRequestError)


def test_a_malformed_ipv6_image_url_is_refused_naming_image_url() -> None:
    result = outcome(image_widgets(image_url="http://[::1/a.png"))
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image_url"


def test_a_data_url_without_payload_is_refused_naming_image() -> None:
    result = outcome(image_widgets(image_data="data:image/png;base64,"))
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image"


def test_a_truncated_base64_payload_is_refused_naming_image() -> None:
    url = data_url("PNG")
    result = outcome(image_widgets(image_data=url[:-1]))
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image"


@pytest.mark.parametrize(
    ("model", "images"),
    [
        (IMAGE_IDS[0], {"image_data": "", "image_url": VALID_URLS[0]}),
        (TEXT_IDS[0], {"image_url": ""}),
        (TEXT_IDS[0], {"image_data": ""}),
    ],
    ids=["empty-data-beside-url", "empty-url-on-text-model", "empty-data-on-text-model"],
)
def test_an_empty_image_field_is_never_sent(model: str, images: dict[str, str]) -> None:
    payload = outcome(text_widgets(model=model, **images))
    assert isinstance(payload, dict)


@pytest.mark.parametrize("model", [TEXT_IDS[0], STORYBOARD])
def test_auto_aspect_ratio_on_a_node_without_auto_is_refused_at_queue_time(model: str) -> None:
    if model == STORYBOARD:
        widgets = {"model": model, "shots": [{"scene": "A", "duration": 5}]}
    else:
        widgets = text_widgets(model=model)
    widgets["aspect_ratio"] = "auto"
    check_queue_time_agrees(widgets, outcome(widgets))


def test_a_blank_image_url_counts_as_no_url() -> None:
    fields = image_widgets(image_url="   ")
    fields.pop("image_data", None)
    result = outcome(fields)
    assert isinstance(result, InvalidRequestError)
    assert result.field == "image"
