"""A newcomer's first steps, as real processes: `run_freesora.py` with a Python that lacks the
pack's packages, and `python3 dev.py demo`, which installs only what the demo needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

PACK = Path(__file__).resolve().parents[2]
BIN = "Scripts" if os.name == "nt" else "bin"
DEV_TOOLS = ("pytest", "mypy", "ruff", "hypothesis", "playwright", "psycopg")


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with nothing installed: no aiohttp, pydantic, Pillow or numpy."""
    folder = tmp_path_factory.mktemp("bare") / "venv"
    venv.EnvBuilder(with_pip=False).create(folder)
    return folder / BIN / ("python.exe" if os.name == "nt" else "python")


def run_bare(python: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "FREESORA_CONFIG": str(tmp_path / "config.json"),
        "FREESORA_JOURNAL": str(tmp_path / "tasks.jsonl"),
        "FREESORA_API_KEY": "sk-sandbox-first-run-0123456789",
        "FREESORA_BASE_URL": "http://127.0.0.1:9",
        # Windows: Python cannot start without it (its random numbers come through it).
        **{name: os.environ[name] for name in ("SYSTEMROOT",) if name in os.environ},
    }
    return subprocess.run(
        [str(python), str(PACK / "run_freesora.py"), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args",
    [("check",), ("create", "--model", "sora-2-text-to-video", "--prompt", "x", "--dry-run")],
    ids=["check", "create-dry-run"],
)
def test_run_freesora_without_its_packages_says_in_one_line_what_to_install(
    bare_python: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = run_bare(bare_python, tmp_path, *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if "lacks" in line]
    assert f"{bare_python} -m pip install -r {PACK / 'requirements.txt'}" in line
    for package in ("aiohttp", "pydantic", "pillow", "numpy"):
        assert package in line


def test_run_freesora_needs_no_package_for_help_or_the_journal(
    bare_python: Path, tmp_path: Path
) -> None:
    assert run_bare(bare_python, tmp_path, "--help").returncode == 0
    listed = run_bare(bare_python, tmp_path, "tasks")
    assert listed.returncode == 0, listed.stderr
    assert "journal:" in listed.stderr


@pytest.mark.skipif(
    os.environ.get("FREESORA_TEST_PIP") != "1",
    reason="installs from the package index: set FREESORA_TEST_PIP=1 (takes a minute)",
)
def test_dev_py_demo_installs_the_runtime_dependencies_only_and_says_what_next(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "freesora-nodes"
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", ".*_cache")
    shutil.copytree(PACK, folder, ignore=ignore)
    done = subprocess.run(
        [sys.executable, "dev.py", "demo", "--task-seconds", "0.3"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "demo finished: all as expected" in done.stdout
    assert f"{Path('.venv') / BIN / 'freesora'} check" in done.stdout.splitlines()[-1]
    python = folder / ".venv" / BIN / "python"
    for tool in DEV_TOOLS:
        found = subprocess.run([str(python), "-c", f"import {tool}"], capture_output=True)
        assert found.returncode != 0, f"{tool} was installed for the demo"
    checked = subprocess.run(
        [str(folder / ".venv" / BIN / "freesora"), "--help"], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
