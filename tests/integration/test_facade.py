"""The facade, the one way in: one set-up, stores left to their loop, against the sandbox on
127.0.0.1 with real config files and journals."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path

import pytest
from harness import Harness

from freesora.create import PlannedTask, Submitted
from freesora.errors import ConfigError
from freesora.facade import FreeSora
from freesora.ledger import TakeState
from freesora.sandbox import SANDBOX_KEY
from freesora.schemas import build_create_request


def planned(prompt: str = "A paper boat") -> list[PlannedTask]:
    return [PlannedTask(build_create_request(model="sora-2-text-to-video", prompt=prompt))]


def write_profiles(harness: Harness, profiles: dict[str, dict[str, str]]) -> None:
    """The user's config file (FREESORA_CONFIG, a file of this test's own): each profile on
    the sandbox with its key, plus what `profiles` says."""
    shared = {"base_url": harness.base_url, "api_key": SANDBOX_KEY}
    entries = {name: {**shared, **entry} for name, entry in profiles.items()}
    Path(os.environ["FREESORA_CONFIG"]).write_text(json.dumps({"profiles": entries}), "utf-8")


async def test_closing_a_facade_leaves_the_ledger_open_for_the_next(
    harness: Harness, tmp_path: Path
) -> None:
    write_profiles(harness, {"studio": {"journal": str(tmp_path / "studio.jsonl")}})
    async with FreeSora.open("studio") as first:
        [made] = await first.create(planned(), seed=1)
        client = first.client
    with pytest.raises(RuntimeError, match="closed"):  # its HTTP session went with it
        await client.status(made.task_id)
    async with FreeSora.open("studio") as second:
        assert second.ledger is first.ledger  # the loop's one store, still open
        [again] = await second.create(planned(), seed=1)
        assert [entry.task_id for entry in await second.tasks()] == [made.task_id]
    assert again.reused
    assert again.task_id == made.task_id
    assert len(harness.sandbox.received.creates) == 1


async def test_a_facade_without_a_key_lists_but_does_not_create(
    harness: Harness, tmp_path: Path
) -> None:
    journal = tmp_path / "studio.jsonl"
    write_profiles(harness, {"studio": {"journal": str(journal)}})
    async with FreeSora.open("studio") as keyed:
        [made] = await keyed.create(planned(), seed=2)
    write_profiles(harness, {"studio": {"journal": str(journal), "api_key": ""}})
    with pytest.raises(ConfigError, match="No FreeSora API key"):
        async with FreeSora.open("studio"):
            pass
    async with FreeSora.open("studio", need_key=False) as keyless:
        assert [entry.task_id for entry in await keyless.tasks()] == [made.task_id]
        with pytest.raises(ConfigError, match="No FreeSora API key"):
            await keyless.create(planned("Another boat"), seed=2)
        assert await keyless.count() == 1  # nothing was claimed
    assert len(harness.sandbox.received.creates) == 1  # nothing was sent


async def test_the_default_journal_is_not_made_when_the_profile_names_one(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FREESORA_JOURNAL")  # the profiles alone decide
    comfy_user = tmp_path / "comfy_user"

    def comfy_journal() -> Path:
        """Like ComfyUI's: finding the folder makes it."""
        comfy_user.mkdir()
        return comfy_user / "tasks.jsonl"

    named = tmp_path / "named.jsonl"
    write_profiles(harness, {"named": {"journal": str(named)}, "plain": {}})
    async with FreeSora.open("named", default_journal=comfy_journal) as fs:
        await fs.create(planned(), seed=3)
        assert fs.where == str(named.resolve())
    assert FreeSora.journal_location("named", comfy_journal) == named
    assert not comfy_user.exists()
    async with FreeSora.open("plain", default_journal=comfy_journal) as fs:
        await fs.create(planned(), seed=3)
        assert fs.where == str((comfy_user / "tasks.jsonl").resolve())
    assert (comfy_user / "tasks.jsonl").is_file()


async def test_create_then_collect_through_one_facade_reuses_the_take(
    harness: Harness, tmp_path: Path
) -> None:
    write_profiles(harness, {"studio": {"journal": str(tmp_path / "studio.jsonl")}})
    clock = harness.clock  # the sandbox's: the wait moves it, nothing sleeps
    async with FreeSora.open("studio") as fs:
        [made] = await fs.create(planned(), seed=4)
        video = await fs.collect(
            made.task_id, tmp_path / "out", interval_s=5.0, sleep=clock.sleep, clock=clock
        )
        [again] = await fs.create(planned(), seed=4)
        [entry] = await fs.tasks()
    assert video.path.read_bytes()[4:8] == b"ftyp"  # a video, saved where asked
    assert video.path.parent == tmp_path / "out"
    assert (again.reused, again.task_id) == (True, made.task_id)
    assert (entry.state, entry.file) == (TakeState.SUCCEEDED, str(video.path))
    assert len(harness.sandbox.received.creates) == 1


async def test_a_create_started_with_no_node_runs_on_the_packs_loop_and_is_reused_later(
    harness: Harness, tmp_path: Path
) -> None:
    write_profiles(harness, {"studio": {"journal": str(tmp_path / "studio.jsonl")}})
    heard: list[tuple[str, Submitted]] = []

    def submitted(index: int, result: Submitted) -> None:
        heard.append((threading.current_thread().name, result))

    # Started from a thread with no event loop at all, as a queued prompt's takes would be.
    started = await asyncio.to_thread(
        FreeSora.start_create, "studio", planned(), seed=5, on_submitted=submitted
    )
    [made] = await asyncio.wrap_future(started)
    assert heard == [("freesora-creates", made)]
    async with FreeSora.open("studio") as fs:
        [again] = await fs.create(planned(), seed=5)
    assert (made.reused, again.reused, again.task_id) == (False, True, made.task_id)
    assert len(harness.sandbox.received.creates) == 1
