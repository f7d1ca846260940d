"""The task journal: durable, readable after a torn write, and honest about what is reusable."""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from freesora.ledger.journal import Journal, default_journal_path, fingerprint, select

PAYLOAD = {"model": "sora-2-text-to-video", "prompt": "A boat", "nFrames": "10"}
BASE = "https://freesoragenerator.com"


def data_url(raw: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(raw).decode()


def test_the_fingerprint_ignores_key_order_but_not_values_place_or_destination() -> None:
    reordered = dict(reversed(list(PAYLOAD.items())))
    assert fingerprint(PAYLOAD, BASE) == fingerprint(reordered, BASE)
    assert fingerprint(PAYLOAD, BASE) != fingerprint({**PAYLOAD, "nFrames": "15"}, BASE)
    assert fingerprint(PAYLOAD, BASE) != fingerprint(PAYLOAD, "http://127.0.0.1:8765")
    assert fingerprint(PAYLOAD, BASE, slot=0) != fingerprint(PAYLOAD, BASE, slot=1)


def test_the_fingerprint_hashes_image_bytes_and_stores_no_image() -> None:
    one = {**PAYLOAD, "imageData": data_url(b"\x89PNG one")}
    two = {**PAYLOAD, "imageData": data_url(b"\x89PNG two")}
    assert fingerprint(one, BASE) != fingerprint(two, BASE)
    assert len(fingerprint(one, BASE)) == 64


def test_a_created_task_is_on_disk_when_record_returns(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j" / "tasks.jsonl")
    journal.record_created("t1", "sora-2-text-to-video", "fp", 7)
    [line] = journal.path.read_text(encoding="utf-8").splitlines()
    event = json.loads(line)
    assert (event["event"], event["task_id"], event["seed"]) == ("created", "t1", 7)
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o600


def test_finished_events_fold_into_the_task(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "tasks.jsonl")
    journal.record_created("t1", "m", "fp", 1)
    journal.record_finished("t1", "succeeded", url="https://x/t1.mp4", file="/out/t1.mp4")
    [record] = journal.records()
    assert (record.status, record.url, record.file) == (
        "succeeded",
        "https://x/t1.mp4",
        "/out/t1.mp4",
    )
    assert record.finished


def test_a_torn_last_line_is_skipped_and_the_rest_is_read(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "tasks.jsonl")
    journal.record_created("t1", "m", "fp", 1)
    with journal.path.open("a", encoding="utf-8") as handle:
        handle.write('{"event": "created", "task_id": "t2", "mo')
    assert [r.task_id for r in journal.records()] == ["t1"]


@pytest.mark.parametrize(
    ("ending", "reusable"),
    [(None, True), ("succeeded", True), ("failed", False), ("cancelled", False)],
)
def test_only_tasks_that_did_not_fail_are_reusable(
    tmp_path: Path, ending: str | None, reusable: bool
) -> None:
    journal = Journal(tmp_path / "tasks.jsonl")
    journal.record_created("t1", "m", "fp", 1)
    if ending:
        journal.record_finished("t1", ending)
    found = journal.reusable("fp", 1)
    assert (found is not None and found.task_id == "t1") is reusable
    assert journal.reusable("fp", 2) is None
    assert journal.reusable("other", 1) is None


def test_an_unknown_outcome_is_remembered_for_that_request_and_seed(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "tasks.jsonl")
    journal.record_unknown("m", "fp", 3, "connection reset after sending")
    found = journal.reusable("fp", 3)
    assert found is not None
    assert found.status == "unknown"
    assert found.task_id is None


def test_select_lists_newest_first_with_filters(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "tasks.jsonl")
    for i, model in enumerate(["a", "b", "a", "b"]):
        journal.record_created(f"t{i}", model, f"fp{i}", i)
    journal.record_finished("t3", "succeeded")
    records = journal.records()
    assert [r.task_id for r in select(records)] == ["t3", "t2", "t1", "t0"]
    assert [r.task_id for r in select(records, limit=2)] == ["t3", "t2"]
    assert [r.task_id for r in select(records, only_unfinished=True)] == ["t2", "t1", "t0"]
    assert [r.task_id for r in select(records, model="b")] == ["t3", "t1"]


def test_the_default_journal_lives_in_the_users_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    assert default_journal_path({"XDG_DATA_HOME": str(tmp_path)}) == (
        tmp_path / "freesora" / "tasks.jsonl"
    )
    monkeypatch.setattr(sys, "platform", "win32")
    assert default_journal_path({"LOCALAPPDATA": str(tmp_path)}) == (
        tmp_path / "freesora" / "tasks.jsonl"
    )
    assert default_journal_path({"FREESORA_JOURNAL": "/x/j.jsonl"}) == Path("/x/j.jsonl")
