"""Every test runs with its own config file and journal: none may touch the user's real ones."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_config_and_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FREESORA_CONFIG", str(tmp_path / "freesora-config.json"))
    monkeypatch.setenv("FREESORA_JOURNAL", str(tmp_path / "freesora-tasks.jsonl"))
    monkeypatch.delenv("FREESORA_API_KEY", raising=False)
    monkeypatch.delenv("FREESORA_BASE_URL", raising=False)
