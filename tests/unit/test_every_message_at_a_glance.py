"""Every message the pack can raise, read with the same eyes (`glance.glance_problems`): at most
600 characters, parentheses at most one deep, no message quoted inside another, no word cut off.

Each error is made where the pack makes it, from the inputs that make it longest: the service's
words at their longest, a journal path as long as a Windows user's, a batch of twelve.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from glance import glance_problems

from freesora.create.submit import Submitted, _batch_error
from freesora.create.unknown import unknown_outcome
from freesora.errors import FreeSoraError, InvalidRequestError, shortened
from freesora.ledger import FileLedger, Spending, Take
from freesora.ledger.budget import budget_refusal
from freesora.ledger.contract import one_take, task_held_elsewhere, unrecorded_task
from freesora.ledger.file.journal import JournalFile
from freesora.ledger.file.secret import _foreign, _missing
from freesora.schemas import build_create_request
from freesora.schemas.response import TaskStatus
from freesora.service.answers import read_answer, service_error
from freesora.service.failures import (
    UNUSABLE_ID,
    UNUSABLE_ID_HELP,
    final_error,
    gave_up,
    outcome_unknown,
    transport_error,
)
from freesora.service.polling import _finished, wait_for_task
from freesora.service.retry import ANSWERED, RAISED, Answer, Outcome, classify, rule_for

# Words the service might say, numbered so that a word cut in two shows ("word01…").
SAID = " ".join(f"word{n:02d}" for n in range(1, 400))
WINDOWS_JOURNAL = (
    "C:\\Users\\Marguerite Delacroix\\Downloads\\ComfyUI_windows_portable\\ComfyUI\\user\\"
    "__freesora\\tasks.jsonl"
)
TAKE = Take(account="default:" + "a" * 32, request="b" * 64, seed=123456789, slot=3)
HTML = "<html><head><title>500</title></head><body>" + "<p>proxy trouble</p>" * 300 + "</body>"


def cut_words(message: str) -> list[str]:
    """Numbered words left whole? Each "…" must follow a whole `wordNN`."""
    return [found for found in re.findall(r"(\S*)…", message) if re.fullmatch(r"wo?r?d?\d?", found)]


def answer_for(rule_says: str) -> tuple[int, str, str]:
    """A typical answer (status, content type, body) for each row of the answer table."""
    envelope = '{"code": %d, "message": "%s", "data": null}'
    return {
        "429, as the status or the envelope's code": (
            429,
            "application/json",
            envelope % (429, SAID),
        ),
        "an envelope code the service refuses with (400, 401, 402, 422, 455, 505)": (
            200,
            "application/json",
            envelope % (402, SAID),
        ),
        "the envelope's code 501 (generation failed)": (
            200,
            "application/json",
            envelope % (501, SAID),
        ),
        "another 5xx envelope code": (200, "application/json", envelope % (503, SAID)),
        "a CDN's own page that it never reached the service (Cloudflare 521, 523, 525, 526)": (
            521,
            "text/html",
            HTML,
        ),
        "HTTP 408": (408, "text/html", HTML),
        "another 4xx status": (403, "text/plain", SAID),
        "another 5xx status (520, 522, 524 from a CDN too)": (500, "text/html", HTML),
        "anything else: a redirect, an unknown code or status": (301, "text/plain", ""),
    }[rule_says]


def answered_errors() -> list[Any]:
    """Each row of `retry.ANSWERED`, as a create and as a status call would raise it."""
    params = []
    for rule in ANSWERED:
        status, content_type, body = answer_for(rule.says)
        for task_id in (None, "task-" + "7" * 30):
            call = "status" if task_id else "create"
            for tries in (1, 5):
                error = refusal(status, content_type, body, task_id)
                final = final_error(error, classify(Answer(status, error.code)), bool(task_id))
                if tries > 1:  # how an error still there after every try is told
                    final = gave_up(final, tries)
                params.append(pytest.param(final, id=f"{rule.says[:30]}-{call}-{tries}"))
    return params


def refusal(status: int, content_type: str, body: str, task_id: str | None) -> FreeSoraError:
    try:
        read_answer(status, content_type, body, task_id=task_id)
    except FreeSoraError as exc:
        return exc
    raise AssertionError(f"HTTP {status} {body[:40]!r} was read as an answer")


def refusals_that_resending_cannot_change() -> list[Any]:
    """Maintenance, a disabled feature and a retired model, for a create and a status call."""
    params = []
    said = {455: SAID, 505: SAID, 400: "The model sora-2 is retired " + SAID}
    for code, message in said.items():
        for task_id in (None, "task-" + "7" * 30):
            error = service_error(200, code, message, task_id)
            final = final_error(error, classify(Answer(200, code)), bool(task_id))
            params.append(pytest.param(final, id=f"code-{code}-{bool(task_id)}"))
    return params


def raised_errors() -> list[Any]:
    """Each row of `retry.RAISED`: what a try raised, for a create and a status call."""
    key = aiohttp.client_reqrep.ConnectionKey("service.example", 443, True, True, None, None, None)
    happened: list[BaseException] = [
        aiohttp.ClientConnectorError(key, OSError(111, "Connection refused " + SAID[:300])),
        aiohttp.ServerDisconnectedError("Server disconnected " + SAID[:300]),
        asyncio.TimeoutError(),
    ]
    params = []
    for exc in happened:
        rule = rule_for(exc)
        assert rule in RAISED
        for idempotent, task_id in ((False, None), (True, "task-1")):
            error = transport_error(exc, classify(exc), idempotent, task_id, 30.0)
            params.append(pytest.param(error, id=f"{type(exc).__name__}-{idempotent}"))
    return params


def unknown_outcomes(tmp: Path) -> list[FreeSoraError]:
    """The unknown outcome, first and repeated, in and out of a batch, with a journal whose path
    is as long as a Windows portable user's (the commands must be typed whole)."""
    pad = len(WINDOWS_JOURNAL) - len(str(tmp / "_" / "__freesora" / "tasks.jsonl"))
    ledger = FileLedger(tmp / ("ComfyUI_windows_portable" * 9)[: max(pad, 1)] / "tasks.jsonl")
    what = final_error(service_error(500, None, SAID, None), Outcome.SERVER_ERROR, False).what
    assert what is not None
    unusable = outcome_unknown(
        f"the service said ok but {UNUSABLE_ID}, 'x': {SAID}", UNUSABLE_ID_HELP
    )
    made = []
    for reason in (what, unusable.what or ""):
        for sent_at in (None, 1_700_000_000.0):
            for in_batch in (False, True):
                for profile in ("default", "work"):
                    made.append(
                        unknown_outcome(
                            reason, TAKE, ledger, profile, sent_at=sent_at, in_batch=in_batch
                        )
                    )
    done = [Submitted(f"task-{n:02d}-" + "9" * 24) for n in range(11)]
    made.append(_batch_error(made[-1], 1, 12, done, f"--journal {WINDOWS_JOURNAL}"))
    made.append(unusable)
    return made


def ledger_errors(tmp: Path) -> list[FreeSoraError]:
    """The ledger's refusals, a journal's secret lost or foreign at a Windows user's length."""
    journal = JournalFile(tmp / ("ComfyUI_windows_portable" * 4)[:60] / "tasks.jsonl")
    return [
        task_held_elsewhere("task-" + "1" * 30, "c" * 64),
        unrecorded_task(
            "task-" + "2" * 30,
            "the database refused it: " + SAID,
            "paste it into Video Result",
        ),
        _missing(journal),
        _foreign(journal),
    ]


def stopped_after(clock: Callable[[], float], seconds: float | None) -> Callable[[], bool]:
    return lambda: seconds is not None and clock() > seconds


async def stopped_waits() -> list[FreeSoraError]:
    """A wait that ran out of time after a glitch, and one the user stopped."""

    class Glitchy:
        async def status(self, task_id: str) -> TaskStatus:
            raise transport_error(
                aiohttp.ServerDisconnectedError(SAID), Outcome.LOST, True, task_id, 30.0
            )

        async def sleep(self, seconds: float) -> None:
            clock.now += seconds

    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    flags = f" --journal {shlex.quote(WINDOWS_JOURNAL)}"
    made = []
    for stop_at in (None, 10.0):  # the deadline, or the user first
        try:
            await wait_for_task(
                Glitchy(),
                "task-" + "4" * 30,
                timeout_s=60,
                clock=clock,
                should_cancel=stopped_after(clock, stop_at),
                resume_flags=flags,
            )
        except FreeSoraError as exc:
            made.append(exc)
    return made


def task_ends() -> list[FreeSoraError]:
    """A task that failed or was cancelled, with the service's longest reason."""
    made = []
    for status, reason in (("failed", SAID), ("cancelled", None), ("weird-" + SAID, None)):
        data = {"taskId": "task-3", "status": status, "failureReason": reason}
        try:
            _finished(TaskStatus.model_validate(data), "task-3")
        except FreeSoraError as exc:
            made.append(exc)
    return made


def invalid_requests() -> list[FreeSoraError]:
    """The schemas' refusals of what a person may type, at its longest."""
    fields: list[dict[str, Any]] = [
        {"model": "sora-2-text-to-video", "prompt": SAID * 5},
        {"model": "sora-2-text-to-video", "prompt": "a", "n_frames": SAID},
        {"model": "sora-2-text-to-video", "prompt": "a", "aspect_ratio": SAID},
        {"model": SAID, "prompt": "a"},
        {"model": "sora-2-text-to-video", "prompt": "a", "image_url": "https://x/" + SAID},
        {"model": "sora-2-pro-storyboard", "shots": [{"scene": SAID, "duration": 999}]},
    ]
    made = []
    for given in fields:
        with pytest.raises(InvalidRequestError) as refused:
            build_create_request(**given)
        made.append(refused.value)
    return made


MAKERS: dict[str, Callable[[Path], list[Any]]] = {
    "unknown outcome": unknown_outcomes,
    "ledger": ledger_errors,
    "stopped wait": lambda _: asyncio.run(stopped_waits()),
    "task end": lambda _: task_ends(),
    "invalid request": lambda _: invalid_requests(),
}


@pytest.mark.parametrize(
    "error", [*answered_errors(), *refusals_that_resending_cannot_change(), *raised_errors()]
)
def test_every_row_of_the_outcome_table_reads_at_a_glance(error: FreeSoraError) -> None:
    assert glance_problems(str(error)) == [], str(error)
    assert cut_words(str(error)) == [], str(error)


@pytest.mark.parametrize("kind", list(MAKERS))
def test_every_message_of_its_kind_reads_at_a_glance(kind: str, tmp_path: Path) -> None:
    made = MAKERS[kind](tmp_path)
    assert len(made) >= 2
    for error in made:
        message = str(error)
        assert glance_problems(message) == [], message
        assert cut_words(message) == [], message


def test_a_budget_refusal_reads_at_a_glance() -> None:
    hint = f'change "daily_budget" in profile a-long-profile-name of {WINDOWS_JOURNAL}'
    message = budget_refusal(123456.5, Spending(123000.25, 1_700_000_000.0), 712.5, hint)
    assert glance_problems(message) == [], message


def test_a_take_named_by_too_few_or_too_many_characters_reads_at_a_glance() -> None:
    for found in (set(), {"a" * 64, "b" * 64}):
        with pytest.raises(FreeSoraError) as refused:
            one_take("abc123", found, f"the journal {WINDOWS_JOURNAL}")
        assert glance_problems(str(refused.value)) == [], str(refused.value)


def test_a_shortened_text_ends_with_a_whole_word_and_an_ellipsis() -> None:
    for limit in range(7, 300, 7):  # a word is 6 characters: one longer than a limit is cut
        short = shortened(SAID, limit)
        assert len(short) <= limit
        assert short.endswith("…")
        assert re.fullmatch(r"(word\d\d )*word\d\d…", short), short


def test_a_shortened_text_never_leaves_an_aside_open() -> None:
    said = "the connection failed after it was sent (ServerDisconnectedError: Server disconnected)"
    short = shortened(said, 70)
    assert glance_problems(short) == [], short
