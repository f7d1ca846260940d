"""The one redaction of the key in outside words: every form a service may give it is removed,
and nothing else is."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest

from freesora.errors import AuthenticationError
from freesora.service.redaction import REMOVED, Redactor

KEY = "sk-Live+7f3a/9c1e=55d04b2b8e61c0d9a4f2"
SECRET = KEY.removeprefix("sk-")


@pytest.mark.parametrize(
    "said",
    [
        KEY,
        SECRET,
        KEY.upper(),
        KEY[:12],  # a prefix cut short
        KEY[:12] + "…",
        KEY[:6] + "...",  # sk-Liv...
        KEY[:4],  # sk-L: a word that starts the key
        KEY[:5] + "*" * 16 + KEY[-4:],  # sk-Li****************a4f2
        "sk-" + "*" * 20 + KEY[-4:],
        "…" + KEY[-6:],
        "•••" + KEY[-2:],
        SECRET[5:15],  # 8+ characters from its middle
        quote(KEY, safe=""),
        quote(KEY),
        quote_plus(KEY),
        quote(KEY, safe="")[:14] + "…",
        f"https://cdn.example/v.mp4?key={KEY}&x=1",
    ],
)
def test_every_form_of_the_key_is_removed(said: str) -> None:
    text = f"Incorrect API key provided: {said}. See your account."
    clean = Redactor(KEY).text(text)
    assert clean.startswith("Incorrect API key provided: ")
    assert REMOVED in clean
    assert clean.endswith(". See your account.")
    for piece in (KEY, SECRET[:8], SECRET[-8:], quote(KEY, safe="")[3:11], said):
        assert piece.lower() not in clean.lower()


@pytest.mark.parametrize(
    "words",
    [
        "The service is under maintenance... try again later.",
        "Task 281e5b0f39b9 may still finish: run `freesora wait 281e5b0f39b9`.",
        "Could not reach the service at http://127.0.0.1:8765 (ClientOSError: reset).",
        "keys look like sk-... (HTTP 401, code 401)",
        "sk- and a lone last character 2",
        "the key ends in a4f2",  # its last four characters alone, as dashboards show them
        "Live video, 55 credits",
    ],
)
def test_words_that_do_not_show_the_key_are_left_as_they_are(words: str) -> None:
    assert Redactor(KEY).text(words) == words


def test_a_json_answer_loses_the_key_in_every_string_after_its_escapes_are_decoded() -> None:
    escaped = "".join(f"\\u{ord(c):04x}" for c in KEY)
    body = (
        '{"code": 401, "message": "bad key ' + escaped + '", "data": '
        '{"urls": ["https://x/?k=' + KEY + '"], "' + KEY + '": 1, "n": 5}}'
    )
    clean = json.loads(Redactor(KEY).body(body))
    assert clean == {
        "code": 401,
        "message": f"bad key {REMOVED}",
        "data": {"urls": [f"https://x/?{REMOVED}"], REMOVED: 1, "n": 5},
    }


def test_a_body_without_the_key_is_read_as_it_came() -> None:
    body = '{"code": 0,   "message": "ok", "data": {"taskId": "t-1"}}'
    assert Redactor(KEY).body(body) == body
    assert Redactor(KEY).body("<html>502</html>") == "<html>502</html>"


def test_an_errors_message_and_args_lose_the_key() -> None:
    error = AuthenticationError(f"refused: {KEY}", status=401, code=401)
    assert Redactor(KEY).error(error) is error
    assert str(error) == f"refused: {REMOVED}"
    assert error.args == (f"refused: {REMOVED}",)
    assert KEY not in repr(error)
    assert (error.status, error.code) == (401, 401)


def test_a_short_key_is_removed_whole() -> None:
    assert Redactor("sk-wrong").text("bad key sk-wrong here") == f"bad key {REMOVED} here"
