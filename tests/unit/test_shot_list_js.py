"""The timeline's reading of a shot list (web/freesora_shots.js, run by Node.js) agrees with the
queue-time check's (schemas/shots.py) line for line, and its drag keeps the rules: whole
seconds, no shot under 1 s or over the longest, every other character as typed.
Skipped where no `node` is installed."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from freesora.errors import InvalidRequestError
from freesora.schemas.models import MAX_SHOT_S, MAX_SHOTS, MIN_SHOT_S
from freesora.schemas.shots import parse_shot_list

MODULE = Path(__file__).resolve().parents[2] / "web" / "freesora_shots.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
LIMITS = {"min": MIN_SHOT_S, "max": MAX_SHOT_S}  # what the Shot Builder's definition carries
RUNNER = """
import * as shots from %s;
let input = "";
for await (const chunk of process.stdin) input += chunk;
const calls = JSON.parse(input);
process.stdout.write(JSON.stringify(calls.map(([name, args]) => shots[name](...args))));
"""


def call_js(*calls: tuple[str, list[Any]]) -> list[Any]:
    """Each (function, arguments) called in the module, in one Node.js process."""
    assert NODE is not None
    script = RUNNER % json.dumps(MODULE.as_uri())
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        input=json.dumps(calls),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def python_reading(text: str) -> tuple[list[tuple[int, str]], int | None]:
    """(tenths, scene) of each shot before the first refused line, and that line's number."""
    try:
        return [(round(s["duration"] * 10), s["scene"]) for s in parse_shot_list(text)], None
    except InvalidRequestError as exc:
        refused = str(exc)
    found = re.match(r"shot_list line (\d+): ", refused)
    assert found, refused
    line = int(found.group(1))
    head = "\n".join(re.split(r"\r\n|\r|\n", text)[: line - 1])
    return [(round(s["duration"] * 10), s["scene"]) for s in parse_shot_list(head)], line


def js_reading(result: dict[str, Any]) -> tuple[list[tuple[int, str]], int | None]:
    first = result["problems"][0]["line"] if result["problems"] else None
    shots = [
        (s["tenths"], s["scene"]) for s in result["shots"] if first is None or s["line"] < first
    ]
    return shots, first


SECONDS = ["5", "2.5", ".5", "7.50", "0", "0.1", "15", "15.1", "2.55", "16", "x", "-1", "", " 3 "]
BARS = [" | ", "|", " |", "", ":"]
SCENES = ["A harbour", "", "  ", " OPEN | CLOSED ", "雨の夜"]
ENDS = ["\n", "\r\n", "\r", "\n\n  \n"]


def corpus(count: int = 400) -> list[str]:
    rng = random.Random(20260527)
    texts = []
    for _ in range(count):
        lines = [
            rng.choice(SECONDS) + rng.choice(BARS) + rng.choice(SCENES)
            for _ in range(rng.randint(0, MAX_SHOTS))
        ]
        texts.append(rng.choice(ENDS).join(lines))
    return texts


def test_the_timeline_reads_every_shot_list_as_the_queue_time_check_does() -> None:
    texts = corpus()
    results = call_js(*[("parseShotList", [text, LIMITS]) for text in texts])
    for text, result in zip(texts, results, strict=True):
        assert js_reading(result) == python_reading(text), repr(text)
    assert any(js_reading(r)[1] is None for r in results), "the corpus has no valid list"
    assert any(js_reading(r)[1] is not None for r in results), "the corpus has no refused list"


SHOTS = [{"line": 1, "tenths": 50}, {"line": 2, "tenths": 45}, {"line": 4, "tenths": 55}]


@pytest.mark.parametrize(
    ("index", "seconds", "expected"),
    [
        (0, 7.3, [70, 25]),  # the boundary lands on a whole second
        (0, 6.6, [70, 25]),
        (0, 0.0, [10, 85]),  # the left shot keeps 1 s
        (0, 30.0, [80, 15]),  # the right shot keeps at least 1 s: 8 s is the last whole second
        (1, 9.2, [40, 60]),  # after 5 s: the boundary at 9 s
        (1, 14.9, [90, 10]),
    ],
)
def test_a_drag_snaps_to_whole_seconds_and_leaves_each_shot_at_least_a_second(
    index: int, seconds: float, expected: list[int]
) -> None:
    [moved] = call_js(("dragBoundary", [SHOTS, index, seconds, {"floor": 1, "max": 15}]))
    assert moved == expected
    assert sum(moved) == SHOTS[index]["tenths"] + SHOTS[index + 1]["tenths"]


def test_a_drag_never_makes_a_shot_longer_than_the_longest() -> None:
    shots = [{"line": 1, "tenths": 140}, {"line": 2, "tenths": 60}]
    [moved, stuck] = call_js(
        ("dragBoundary", [shots, 0, 19, {"floor": 1, "max": MAX_SHOT_S}]),
        ("dragBoundary", [[{"tenths": 5}, {"tenths": 12}, {"tenths": 12}], 1, 2, {}]),
    )
    assert moved == [150, 50]
    assert stuck is None  # 1.2 s + 1.2 s from 0.5 s: no whole second leaves both 1 s


def test_a_drag_rewrites_only_the_seconds_of_its_two_lines() -> None:
    text = "5 | A harbour\r\n\r\n4.5|A gull | close-up\r\n  5.5 | Waves\r\n"
    [written] = call_js(("withDurations", [text, {"1": 70, "3": 25}]))
    assert written == "7 | A harbour\r\n\r\n2.5 | A gull | close-up\r\n  5.5 | Waves\r\n"
    assert [s["duration"] for s in parse_shot_list(written)] == [7, 2.5, 5.5]


@pytest.mark.parametrize(
    ("tenths", "length", "summary", "advice"),
    [
        (150, 15, "15 of 15 s · 0 s left", ""),
        (95, 10, "9.5 of 10 s · 0.5 s left", ""),
        (
            180,
            15,
            "18 of 15 s · 3 s over",
            "Run will refuse this: choose n_frames 25 (longer clips cost more), or shorten the "
            "shots.",
        ),
        (
            120,
            10,
            "12 of 10 s · 2 s over",
            "Run will refuse this: choose n_frames 15 or 25 (longer clips cost more), or shorten "
            "the shots.",
        ),
        (
            260,
            25,
            "26 of 25 s · 1 s over",
            "Run will refuse this: longer than the longest clip (25 s): shorten the shots.",
        ),
    ],
)
def test_the_timeline_says_what_is_left_or_over_and_the_lengths_that_hold_it(
    tenths: int, length: int, summary: str, advice: str
) -> None:
    [said] = call_js(("verdict", [tenths, length, [10, 15, 25]]))
    assert (said["summary"], said["advice"]) == (summary, advice)
