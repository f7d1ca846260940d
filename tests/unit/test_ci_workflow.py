"""CI runs where the pack's users are, and the README shows whether it passes.

The workflow's form is checked with actionlint (docs/development.md); these tests pin what it
must cover, so that no edit quietly drops an OS, a Python or the trigger.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "tests.yml"
OSES = ("ubuntu-latest", "windows-latest", "macos-latest")
PYTHONS = ("3.10", "3.11", "3.12", "3.13")


def _text() -> str:
    return WORKFLOW.read_text(encoding="utf-8")


def _matrix(name: str) -> list[str]:
    found = re.search(rf"^\s+{name}: \[([^\]]*)\]$", _text(), re.MULTILINE)
    assert found, f"no {name} list in the matrix"
    return [item.strip().strip('"') for item in found.group(1).split(",")]


def test_the_tests_run_on_windows_macos_and_linux_with_every_supported_python() -> None:
    assert sorted(_matrix("os")) == sorted(OSES)
    assert _matrix("python") == list(PYTHONS)
    assert "python-version: ${{ matrix.python }}" in _text()
    requires = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'requires-python = ">={PYTHONS[0]}"' in requires  # the oldest one is tested


def test_they_run_on_every_push_and_pull_request_without_stopping_at_the_first_failure() -> None:
    text = _text()
    assert re.search(r"^on:\n  push:\n  pull_request:\n", text, re.MULTILINE)
    assert "fail-fast: false" in text


def test_they_run_the_suites_that_need_no_comfyui_and_postgresql_on_linux() -> None:
    text = _text()
    assert "run: python dev.py test tests/unit tests/integration" in text
    assert "FREESORA_TEST_POSTGRES: ${{ runner.os == 'Linux' && 'on' || 'off' }}" in text
    assert "run: python dev.py lint" in text


def test_the_readme_shows_the_workflows_badge() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "actions/workflows/tests.yml/badge.svg" in readme.split("\n## ")[0]
