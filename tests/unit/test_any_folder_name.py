"""The test suite runs in a checkout of any name, as `git clone ... freesora-nodes` makes.

The pack's root holds ComfyUI's `__init__.py`, and a folder like `freesora-nodes` or `clone.x-y`
cannot be a Python package: pytest must not try to import the root as one. Each case copies the
pack into a folder of that name and runs a real pytest there, in a fresh process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACK = Path(__file__).resolve().parents[2]
# Left out of the copy: the venv, caches and the pictures, none of which a test reads.
NOT_COPIED = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", "*.egg-info", ".*_cache", "docs", "freesora-demo-output"
)


def pack_copy(parent: Path, name: str) -> Path:
    folder = parent / name
    shutil.copytree(PACK, folder, ignore=NOT_COPIED, symlinks=True)
    return folder


@pytest.mark.parametrize("name", ["freesora-nodes", "clone.x-y", "ok_name"])
def test_the_tests_run_in_a_checkout_of_any_name(tmp_path: Path, name: str) -> None:
    folder = pack_copy(tmp_path, name)
    env = {**os.environ, "FREESORA_TEST_POSTGRES": "off", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/unit/test_retry.py",
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout
    assert "error" not in done.stdout.splitlines()[-1]
