"""The flags a printed command uses to name its ledger: typed as they are, from any folder."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from freesora.ledger import journal_flags

URL = "postgresql://farm:s3cret@db.example:5432/freesora"


def test_a_journal_file_is_named_by_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert journal_flags(Path("tasks.jsonl")) == f"--journal {tmp_path / 'tasks.jsonl'}"


def test_a_path_with_spaces_is_one_word_of_the_command(tmp_path: Path) -> None:
    journal = tmp_path / "My Videos" / "tasks.jsonl"
    assert shlex.split(journal_flags(journal)) == ["--journal", str(journal)]


def test_a_profile_other_than_the_default_is_named_too(tmp_path: Path) -> None:
    flags = journal_flags(tmp_path / "tasks.jsonl", "studio")
    assert flags == f"--journal {tmp_path / 'tasks.jsonl'} --profile studio"


def test_a_database_is_named_by_its_profile_never_by_its_url() -> None:
    assert journal_flags(URL, "farm") == "--profile farm"
    assert "s3cret" not in journal_flags(URL)
