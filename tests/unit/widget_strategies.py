"""Hypothesis strategies for the creation nodes' widget values, and the example pools they draw on.

The nodes cannot be imported without ComfyUI, so their input spaces are restated here from
`schemas/models.py` (the table the nodes' combos are read from), widened with garbage. Used by
test_properties.py; the fixed pools (images, URLs) also by test_widget_boundaries.py.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from typing import Any

from hypothesis import strategies as st
from PIL import Image

from freesora.schemas import ModelKind, VideoModel, models_of

STORYBOARD = VideoModel.PRO_STORYBOARD.value
TEXT_IDS = [m.value for m in models_of(ModelKind.TEXT)]
IMAGE_IDS = [m.value for m in models_of(ModelKind.IMAGE)]
# From API.md, not from the pack's table: the only models with `size`, and those without
# `removeWatermark` are the stable ones and the storyboard.
SIZED = {"sora-2-pro-text-to-video", "sora-2-pro-image-to-video"}
UNKNOWN_KEYS = ["seed", "profile", "image", "fit", "negative_prompt", "duration", "foo", "Scene"]

# --- Widget values --------------------------------------------------------------------------

# "auto" is left out of the garbage: the text and storyboard nodes' queue-time check takes it
# (see test_auto_aspect_ratio_..._is_refused_at_queue_time in test_widget_boundaries.py), and
# the image node resolves it before any request is built.
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
# No "" for either image field here: see test_an_empty_image_field_is_never_sent (boundaries).
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
    # "[": see test_a_malformed_ipv6_image_url_is_refused_naming_image_url (boundaries).
    st.text(min_size=1, max_size=20).filter(lambda s: "[" not in s),
)

# --- Shots ----------------------------------------------------------------------------------

scenes = st.one_of(st.sampled_from(["A harbour at dawn", "", "   ", "\n\t"]), st.text(max_size=30))
durations = st.one_of(
    st.sampled_from([0, 0.0, -1, -0.1, 0.1, 0.09999, 15, 15.0, 15.01, 1, 2.5, 5, 10]),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, 5e-324]),
    st.integers(-5, 20),
    # Hundredths (the Shot Builder steps by 0.1); full-precision sums: see the rounding test
    # (test_widget_boundaries.py).
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
