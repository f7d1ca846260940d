"""A storyboard's shot list as text (`SECONDS | scene`, one a line) and where its shots come from:
the parser the Storyboard node and `--shot-list` share, and the one-source rule."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freesora.create.plan import check_widgets, queued_shots
from freesora.errors import InvalidRequestError
from freesora.schemas import build_create_request
from freesora.schemas.shots import parse_shot_list, source_problem, storyboard_shots

STORYBOARD = "sora-2-pro-storyboard"


def refusal(text: str, **label: Any) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        parse_shot_list(text, **label)
    return caught.value


def test_each_line_is_one_shot_of_seconds_and_scene() -> None:
    text = "5 | Establishing shot of a city skyline at dusk\n4.5|A runner splashes through puddles"
    assert parse_shot_list(text) == [
        {"scene": "Establishing shot of a city skyline at dusk", "duration": 5.0},
        {"scene": "A runner splashes through puddles", "duration": 4.5},
    ]


def test_the_first_bar_separates_and_the_scene_keeps_the_others() -> None:
    [shot] = parse_shot_list("3 | A sign reads OPEN | CLOSED, a neon | flickers")
    assert shot == {"scene": "A sign reads OPEN | CLOSED, a neon | flickers", "duration": 3.0}


def test_blank_lines_and_windows_line_ends_are_skipped() -> None:
    text = "\n  \n2 | first\r\n\r\n\t\n3 | second\n\n"
    assert [shot["scene"] for shot in parse_shot_list(text)] == ["first", "second"]


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [("5", 5.0), ("2.5", 2.5), (".5", 0.5), ("0.1", 0.1), ("15", 15.0), ("7.50", 7.5)],
)
def test_seconds_are_taken_in_tenths(seconds: str, expected: float) -> None:
    assert parse_shot_list(f"{seconds} | a shot")[0]["duration"] == expected


@pytest.mark.parametrize(
    "seconds",
    ["2.55", "0", "0.05", "15.1", "16", "-1", "+5", "five", "2,5", "1e1", "nan", "5s", ""],
)
def test_seconds_outside_tenths_of_0_1_to_15_are_refused_naming_the_line(seconds: str) -> None:
    error = refusal(f"5 | fine\n\n{seconds} | a shot")
    assert str(error).startswith("shot_list line 3: SECONDS must be 0.1 to 15 in tenths")
    assert f"got {seconds!r}" in str(error)
    assert error.field == "shot_list"


@pytest.mark.parametrize("line", ["5 Establishing shot", "just a scene", "5:a scene"])
def test_a_line_without_a_bar_is_refused_naming_the_line_and_the_form(line: str) -> None:
    error = refusal(f"2 | first\n{line}")
    assert str(error) == (
        "shot_list line 2: must look like SECONDS | scene (e.g. 5 | Establishing shot of a city "
        f"skyline at dusk), got {line!r}"
    )


def test_a_long_refused_line_is_shortened_in_the_message() -> None:
    error = refusal("x" * 500)
    assert "got 'xxxxxxxx" in str(error)
    assert len(str(error)) < 200


@pytest.mark.parametrize("line", ["5 |", "5 |   ", "5|\t"])
def test_an_empty_scene_is_refused_naming_the_line(line: str) -> None:
    error = refusal(f"\n{line}")
    assert str(error) == "shot_list line 2: the scene after | is empty: say what the shot shows"


def test_an_eleventh_shot_is_refused_naming_its_line() -> None:
    text = "\n".join(["1 | a shot"] * 10 + ["", "1 | one too many"])
    error = refusal(text)
    assert str(error) == "shot_list line 12: is shot 11; a storyboard takes at most 10 shots"


def test_the_label_names_where_the_text_came_from() -> None:
    error = refusal("oops", label="--shot-list shots.txt")
    assert str(error).startswith("--shot-list shots.txt line 1: must look like")


def test_parsed_shots_make_the_request_the_service_documents() -> None:
    shots = parse_shot_list("5 | Establishing shot of a city skyline at dusk\n5 | A runner")
    body = build_create_request(model=STORYBOARD, n_frames="10", shots=shots).to_payload()
    assert body["shots"] == [
        {"Scene": "Establishing shot of a city skyline at dusk", "duration": 5},
        {"Scene": "A runner", "duration": 5},
    ]


def test_a_shot_list_longer_than_the_chosen_length_is_refused_never_sent_longer() -> None:
    shots = parse_shot_list("6 | a\n6 | b\n6 | c")
    with pytest.raises(InvalidRequestError, match="choose n_frames 25") as caught:
        build_create_request(model=STORYBOARD, n_frames="15", shots=shots)
    assert caught.value.field == "n_frames"


@pytest.mark.parametrize(
    ("linked", "shot_list", "fragment"),
    [
        (True, "5 | a shot", "both give shots"),
        (True, None, "both give shots"),  # a shot_list linked from another node
        (False, "", "shot_list is empty"),
        (False, " \n\n ", "shot_list is empty"),
    ],
)
def test_shots_come_from_shot_list_or_the_shots_input_never_both_or_neither(
    linked: bool, shot_list: str | None, fragment: str
) -> None:
    problem = source_problem(linked=linked, shot_list=shot_list)
    assert problem is not None
    assert fragment in problem
    with pytest.raises(InvalidRequestError, match=fragment):
        queued_shots(linked=linked, shot_list=shot_list)


def test_the_empty_message_shows_the_form_and_the_other_way() -> None:
    problem = source_problem(linked=False, shot_list="")
    assert "SECONDS | scene (e.g. 5 | Establishing shot" in str(problem)
    assert "connect Shot Builders" in str(problem)


def test_queue_time_reads_a_typed_shot_list_and_leaves_linked_shots_for_the_run() -> None:
    assert queued_shots(linked=False, shot_list="2 | a") == [{"scene": "a", "duration": 2.0}]
    assert queued_shots(linked=True, shot_list="") is None
    assert queued_shots(linked=False, shot_list=None) is None  # a linked text


def test_at_run_time_the_storyboard_sends_the_one_source_it_has() -> None:
    linked = [{"scene": "from a Shot Builder", "duration": 3}]
    assert storyboard_shots(linked, "") == linked
    assert storyboard_shots(None, "4 | typed") == [{"scene": "typed", "duration": 4.0}]
    with pytest.raises(InvalidRequestError, match="both give shots"):
        storyboard_shots(linked, "4 | typed")
    with pytest.raises(InvalidRequestError, match="shot_list is empty"):
        storyboard_shots(None, "")


def test_the_queue_time_check_refuses_a_typed_list_the_clip_cannot_hold() -> None:
    shots = queued_shots(linked=False, shot_list="10 | a\n8 | b")
    problem = check_widgets(model=STORYBOARD, n_frames="15", aspect_ratio="landscape", shots=shots)
    assert problem is not None
    assert problem.startswith("n_frames 15 s is shorter than the shots")


scene_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    min_size=1,
).filter(lambda text: text.strip() == text and text)


@given(
    st.lists(st.tuples(st.integers(1, 150), scene_text), min_size=1, max_size=10),
    st.sampled_from(["\n", "\r\n", "\n\n  \n"]),
)
def test_any_written_list_reads_back_as_its_shots(
    shots: list[tuple[int, str]], line_end: str
) -> None:
    text = line_end.join(f"{tenths / 10:g} | {scene}" for tenths, scene in shots)
    assert parse_shot_list(text) == [
        {"scene": scene, "duration": tenths / 10} for tenths, scene in shots
    ]
