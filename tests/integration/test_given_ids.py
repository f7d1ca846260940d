"""An id the service does not know is never recorded: a task id given by a person (pasted into
Video Result, `freesora wait ID`, an unknown take's adoption) is recorded only once the service
has said it knows it, and nothing is recorded when it cannot be asked. Against the sandbox on
127.0.0.1, through the facade as the nodes, the routes and the command use it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from harness import Harness

from freesora.config import ApiKey, Settings
from freesora.create import PlannedTask
from freesora.errors import (
    AdoptRefusedError,
    ConfigError,
    CreateOutcomeUnknownError,
    InvalidRequestError,
    TaskNotFoundError,
    TransportError,
)
from freesora.facade import FreeSora
from freesora.ledger import Take, TakeState
from freesora.sandbox import SANDBOX_KEY
from freesora.schemas import build_create_request
from freesora.service.retry import RetryPolicy

MODEL = "sora-2-text-to-video"
TYPO = "typo-id-123"


def planned(prompt: str = "A paper boat", model: str = MODEL) -> list[PlannedTask]:
    return [PlannedTask(build_create_request(model=model, prompt=prompt))]


@asynccontextmanager
async def facade(harness: Harness, journal: Path) -> AsyncIterator[FreeSora]:
    """The facade on the sandbox; one try per call (a refused try is not slept over)."""
    settings = Settings(harness.base_url, ApiKey(SANDBOX_KEY), "test", journal=str(journal))
    async with FreeSora.open(settings=settings, policy=RetryPolicy(attempts=1)) as fs:
        yield fs


def waits(harness: Harness) -> dict[str, object]:
    """Wait options on the sandbox's clock: the wait moves it, nothing sleeps."""
    return {"interval_s": 5.0, "sleep": harness.clock.sleep, "clock": harness.clock}


async def unknown_take(harness: Harness, fs: FreeSora, seed: int = 1) -> tuple[str, str]:
    """A take whose create's answer was lost (the service made the task): its key, and the
    id of the task the service made."""
    before = set(harness.sandbox.tasks)
    harness.sandbox.faults.add("create", "reset_after")
    with pytest.raises(CreateOutcomeUnknownError):
        await fs.create(planned(), seed=seed)
    [made] = set(harness.sandbox.tasks) - before
    [entry] = [e for e in await fs.tasks() if e.state is TakeState.UNKNOWN and e.seed == seed]
    return entry.take_key, made


def journal_text(journal: Path) -> str:
    return journal.read_text("utf-8") if journal.exists() else ""


async def refused(fs: FreeSora, journal: Path, take: str, task_id: str) -> AdoptRefusedError:
    """The refusal of adopting `task_id` for `take`, which left the journal as it was."""
    before = journal_text(journal)
    with pytest.raises(AdoptRefusedError) as caught:
        await fs.adopt(take, task_id)
    assert journal_text(journal) == before
    return caught.value


# --- Video Result and `wait` with an id given by a person -----------------------------------


async def test_a_given_id_the_service_does_not_know_leaves_nothing_behind(
    harness: Harness, tmp_path: Path
) -> None:
    journal = tmp_path / "tasks.jsonl"
    async with facade(harness, journal) as fs:
        [result] = await fs.collect_all([TYPO], tmp_path / "out", options_for=lambda i: {})
        assert isinstance(result, TaskNotFoundError)
        assert f"does not know task {TYPO}" in str(result)
        assert "Nothing was recorded" in str(result)
        assert await fs.tasks() == []
        assert await fs.collectable(model=None, only_unfinished=False, limit=10) == []
    assert TYPO not in journal_text(journal)


async def test_a_given_id_is_not_recorded_while_the_service_cannot_be_asked(
    harness: Harness, tmp_path: Path
) -> None:
    journal = tmp_path / "tasks.jsonl"
    async with facade(harness, journal) as fs:
        [made] = await fs.create(planned(), seed=1)
    other = tmp_path / "other.jsonl"  # a journal that never saw the task: its id is given
    harness.sandbox.faults.add("status", "http_status", status=503, times=50)
    async with facade(harness, other) as fs:
        with pytest.raises(TransportError) as caught:
            await fs.collect(made.task_id, tmp_path / "out", timeout_s=60, **waits(harness))
        assert await fs.tasks() == []
    said = str(caught.value)
    assert made.task_id in said
    assert "Nothing was recorded" in said
    assert "try again" in said
    assert made.task_id not in journal_text(other)


async def test_a_given_id_the_service_knows_is_recorded_with_its_model(
    harness: Harness, tmp_path: Path
) -> None:
    async with facade(harness, tmp_path / "made.jsonl") as fs:
        [made] = await fs.create(planned(model="sora-2-pro-text-to-video"), seed=1)
    async with facade(harness, tmp_path / "tasks.jsonl") as fs:
        video = await fs.collect(made.task_id, tmp_path / "out", **waits(harness))
        [entry] = await fs.tasks()
    assert (entry.task_id, entry.state) == (made.task_id, TakeState.SUCCEEDED)
    assert entry.model == "sora-2-pro-text-to-video"  # as the service said it
    assert entry.file == str(video.path)


# --- `wait ID --out DIR`: the folder asked for, and absolute file names ---------------------


async def test_a_video_saved_before_is_copied_into_the_folder_asked_not_fetched_again(
    harness: Harness, tmp_path: Path
) -> None:
    async with facade(harness, tmp_path / "tasks.jsonl") as fs:
        [made] = await fs.create(planned(), seed=1)
        first = await fs.collect(made.task_id, tmp_path / "a", **waits(harness))
        fetched = len(harness.sandbox.received.downloads)
        second = await fs.collect(made.task_id, tmp_path / "b", **waits(harness))
        [entry] = await fs.tasks()
    assert second.path == tmp_path / "b" / first.path.name
    assert second.path.read_bytes() == first.path.read_bytes()
    assert second.copied_from == first.path
    assert first.path.is_file()  # the earlier copy is left where it was
    assert len(harness.sandbox.received.downloads) == fetched
    assert entry.file == str(second.path)  # the newest copy is the one recorded


async def test_the_file_recorded_is_absolute_when_the_folder_was_given_relative(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with facade(harness, tmp_path / "tasks.jsonl") as fs:
        [made] = await fs.create(planned(), seed=1)
        video = await fs.collect(made.task_id, Path("videos"), **waits(harness))
        [entry] = await fs.tasks()
    assert video.path.is_absolute()
    assert entry.file is not None
    assert Path(entry.file).is_absolute()
    assert Path(entry.file) == tmp_path / "videos" / video.path.name


# --- Adopt: the service asked before a take is given a task ---------------------------------


async def test_adopt_records_a_task_the_service_knows_and_the_take_is_then_reused(
    harness: Harness, tmp_path: Path
) -> None:
    async with facade(harness, tmp_path / "tasks.jsonl") as fs:
        take, lost = await unknown_take(harness, fs)
        asked = len(harness.sandbox.received.status_calls)
        adopted = await fs.adopt(take[:12], lost)
        assert (adopted.take_key, adopted.task_id) == (take, lost)
        assert adopted.state is TakeState.CREATED
        assert len(harness.sandbox.received.status_calls) == asked + 1
        [again] = await fs.create(planned(), seed=1)
    assert (again.reused, again.task_id) == (True, lost)
    assert harness.sandbox.tasks_created == 1
    assert lost in fs.adopted_text(adopted)


async def test_adopt_refuses_an_id_the_service_does_not_know_and_records_nothing(
    harness: Harness, tmp_path: Path
) -> None:
    journal = tmp_path / "tasks.jsonl"
    async with facade(harness, journal) as fs:
        take, _ = await unknown_take(harness, fs)
        before = journal_text(journal)
        with pytest.raises(TaskNotFoundError, match=TYPO):
            await fs.adopt(take, TYPO)
        entry = await fs.ledger.named_take(take)
    assert (entry.state, entry.task_id) == (TakeState.UNKNOWN, None)
    assert journal_text(journal) == before


async def test_adopt_refuses_a_task_the_service_says_is_of_another_model(
    harness: Harness, tmp_path: Path
) -> None:
    journal = tmp_path / "tasks.jsonl"
    async with facade(harness, journal) as fs:
        take, _ = await unknown_take(harness, fs)
        other = await harness.client.create(
            build_create_request(model="sora-2-text-to-video-stable", prompt="A kite")
        )
        refusal = await refused(fs, journal, take, other)
    assert refusal.reason == "wrong_model"
    assert "sora-2-text-to-video-stable" in str(refusal)


async def test_adopt_refuses_an_id_another_take_holds_without_asking_the_service(
    harness: Harness, tmp_path: Path
) -> None:
    journal = tmp_path / "tasks.jsonl"
    async with facade(harness, journal) as fs:
        [held] = await fs.create(planned("A kite"), seed=2)
        take, _ = await unknown_take(harness, fs)
        asked = len(harness.sandbox.received.status_calls)
        refusal = await refused(fs, journal, take, held.task_id)
    assert refusal.reason == "held"
    assert held.task_id in str(refusal)
    assert len(harness.sandbox.received.status_calls) == asked


async def test_adopt_refuses_a_take_whose_outcome_is_known(
    harness: Harness, tmp_path: Path
) -> None:
    journal = tmp_path / "tasks.jsonl"
    async with facade(harness, journal) as fs:
        [made] = await fs.create(planned(), seed=1)
        _, lost = await unknown_take(harness, fs, seed=2)
        [entry] = [e for e in await fs.tasks() if e.task_id == made.task_id]
        refusal = await refused(fs, journal, entry.take_key, lost)
    assert refusal.reason == "not_unknown"


async def test_adopt_records_nothing_when_the_service_cannot_be_asked(
    harness: Harness, tmp_path: Path
) -> None:
    journal = tmp_path / "tasks.jsonl"
    async with facade(harness, journal) as fs:
        take, lost = await unknown_take(harness, fs)
        before = journal_text(journal)
        harness.sandbox.faults.add("status", "http_status", status=502)
        with pytest.raises(TransportError) as caught:
            await fs.adopt(take, lost)
        assert journal_text(journal) == before
        assert "try again" in str(caught.value)
        adopted = await fs.adopt(take, lost)  # tried again: the service answers
    assert adopted.task_id == lost


async def test_adopt_accepts_a_task_whose_model_the_service_does_not_say(
    tmp_path: Path,
) -> None:
    # check-result as the service's sibling documents it: no model field.
    async def status(request: web.Request) -> web.Response:
        body = await request.json()
        data = {"taskId": body["taskId"], "status": "running", "progress": 10}
        return web.json_response({"code": 0, "message": "ok", "data": data})

    app = web.Application()
    app.router.add_post("/api/video-generations/check-result", status)
    async with TestServer(app, host="127.0.0.1") as server:
        base_url = str(server.make_url("")).rstrip("/")
        settings = Settings(
            base_url, ApiKey(SANDBOX_KEY), "test", journal=str(tmp_path / "t.jsonl")
        )
        async with FreeSora.open(settings=settings, policy=RetryPolicy(attempts=1)) as fs:
            take = Take(account="a", request="r" * 64, seed=1)
            decision = await fs.ledger.claim(take, model=MODEL)
            assert decision.claim is not None
            await decision.claim.unknown("timed out")
            adopted = await fs.adopt(take.key, "found-task-1")
    assert (adopted.state, adopted.task_id) == (TakeState.CREATED, "found-task-1")


@pytest.mark.parametrize("given", ["", "two words", "x" * 5000])
async def test_adopt_refuses_what_cannot_be_an_id_before_asking_anyone(
    harness: Harness, tmp_path: Path, given: str
) -> None:
    async with facade(harness, tmp_path / "tasks.jsonl") as fs:
        take, _ = await unknown_take(harness, fs)
        asked = len(harness.sandbox.received.status_calls)
        with pytest.raises(InvalidRequestError, match="task_id"):
            await fs.adopt(take, given)
        with pytest.raises(InvalidRequestError, match="is not a take"):
            await fs.adopt("f" * 64, "a-task")
    assert len(harness.sandbox.received.status_calls) == asked


# --- Forget: what it did, by what the entry is ----------------------------------------------


async def test_forgetting_a_given_id_drops_it_and_forgetting_a_take_allows_a_new_create(
    harness: Harness, tmp_path: Path
) -> None:
    async with facade(harness, tmp_path / "made.jsonl") as fs:
        [made] = await fs.create(planned("A kite"), seed=9)
    async with facade(harness, tmp_path / "tasks.jsonl") as fs:
        await fs.collect(made.task_id, tmp_path / "out", **waits(harness))
        take, _ = await unknown_take(harness, fs)
        dropped = await fs.forget(made.task_id[:12])
        released = await fs.forget(take)
        listed = [(e.take_key, e.task_id) for e in await fs.tasks()]
    assert dropped.task_id == made.task_id
    assert "is no longer listed; nothing was cancelled at the service" in fs.forgotten_text(dropped)
    assert made.task_id not in [task for _, task in listed]
    assert released.state is TakeState.FORGOTTEN
    assert "creates a new task" in fs.forgotten_text(released)
    assert listed == [(take, None)]


# --- A take whose create is still in progress, or whose task was created --------------------


async def test_adopt_and_forget_of_a_take_still_being_created_are_refused_at_once(
    harness: Harness, tmp_path: Path
) -> None:
    journal = tmp_path / "tasks.jsonl"
    async with facade(harness, journal) as fs:
        found = await harness.client.create(build_create_request(model=MODEL, prompt="A kite"))
        live = Take(account="a", request="r" * 64, seed=1)
        decision = await fs.ledger.claim(live, model=MODEL)  # its create is under way
        assert decision.claim is not None
        asked = len(harness.sandbox.received.status_calls)
        before = journal_text(journal)
        with pytest.raises(AdoptRefusedError, match="still in progress; wait for it") as no:
            await fs.adopt(live.key[:12], found)
        assert no.value.reason == "not_unknown"
        with pytest.raises(InvalidRequestError, match="still in progress; wait for it"):
            await fs.forget(live.key[:12])
        assert journal_text(journal) == before
        assert len(harness.sandbox.received.status_calls) == asked  # the service not asked
        await decision.claim.created("t-its-own")  # the create settles its own take
        entry = await fs.ledger.named_take(live.key)
    assert (entry.state, entry.task_id) == (TakeState.CREATED, "t-its-own")


async def test_forget_refuses_a_take_whose_task_was_created_so_it_is_never_created_again(
    harness: Harness, tmp_path: Path
) -> None:
    journal = tmp_path / "tasks.jsonl"
    async with facade(harness, journal) as fs:
        [made] = await fs.create(planned(), seed=1)
        [entry] = await fs.tasks()
        before = journal_text(journal)
        with pytest.raises(InvalidRequestError, match="is created, not waiting for a decision"):
            await fs.forget(entry.take_key[:12])
        assert journal_text(journal) == before
        [again] = await fs.create(planned(), seed=1)
    assert (again.reused, again.task_id) == (True, made.task_id)
    assert harness.sandbox.tasks_created == 1


async def test_adopt_with_another_accounts_key_is_refused_naming_the_profile_that_sent_the_take(
    harness: Harness, tmp_path: Path
) -> None:
    journal = tmp_path / "tasks.jsonl"
    work = Settings(harness.base_url, ApiKey(SANDBOX_KEY), "test", "work", journal=str(journal))
    async with FreeSora.open(settings=work, policy=RetryPolicy(attempts=1)) as fs:
        take, lost = await unknown_take(harness, fs)
    other = Settings(harness.base_url, ApiKey(SANDBOX_KEY + "-b"), "test", journal=str(journal))
    async with FreeSora.open(settings=other, policy=RetryPolicy(attempts=1)) as fs:
        asked = len(harness.sandbox.received.status_calls)
        before = journal_text(journal)
        with pytest.raises(ConfigError, match="sent with the key of profile work") as no:
            await fs.adopt(take[:12], lost)
        assert journal_text(journal) == before
        assert len(harness.sandbox.received.status_calls) == asked  # its key would not know it
    command = f"freesora tasks adopt {take[:12]} TASK_ID --journal {journal} --profile work"
    assert command in str(no.value)
    async with FreeSora.open(settings=work, policy=RetryPolicy(attempts=1)) as fs:
        adopted = await fs.adopt(take[:12], lost)  # as the command says: with its own key
    assert adopted.task_id == lost
