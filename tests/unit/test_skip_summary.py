"""The test run stays readable without a ComfyUI: the tests that need one are skipped with one
short reason, and the summary prints it once, not once per test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_tests_that_need_a_comfyui_skip_in_one_short_summary_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREESORA_COMFYUI")}
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/comfyui"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    skipped = [line for line in ran.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1, skipped
    [line] = skipped
    assert "FREESORA_COMFYUI_DIR" in line
    assert len(line) < 120, line
