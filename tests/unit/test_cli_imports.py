"""What the `freesora` command loads: each heavy dependency only for a command that needs it.

aiohttp for a command that speaks HTTP, Pillow and numpy for an image, pydantic for a request;
`freesora --help`, `key set` and `tasks` need none of them. Each case runs in a fresh Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("aiohttp", "numpy", "PIL", "pydantic", "psycopg")
REPORT = 'print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))))'


def heavy_after(run: str, tmp_path: Path) -> list[str]:
    env = {
        "FREESORA_CONFIG": str(tmp_path / "config.json"),
        "FREESORA_JOURNAL": str(tmp_path / "tasks.jsonl"),
        "PATH": "/usr/bin:/bin",
        # Windows: Python cannot start without it (its random numbers come through it).
        **{name: os.environ[name] for name in ("SYSTEMROOT",) if name in os.environ},
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import json, sys\n{run}\nHEAVY = {HEAVY!r}\n{REPORT}"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_starting_the_command_loads_no_heavy_dependency(tmp_path: Path) -> None:
    assert heavy_after("import freesora.cli.main", tmp_path) == []


@pytest.mark.parametrize(
    ("argv", "needed"),
    [
        (["tasks"], []),
        (["tasks", "--unfinished", "--limit", "3"], []),
        (
            ["create", "--model", "sora-2-text-to-video", "--prompt", "A boat", "--dry-run"],
            ["pydantic"],
        ),
    ],
    ids=["tasks", "tasks-unfinished", "create-dry-run"],
)
def test_a_command_loads_only_the_dependencies_it_uses(
    tmp_path: Path, argv: list[str], needed: list[str]
) -> None:
    run = f"from freesora.cli.main import main\nassert main({argv!r}) == 0"
    assert heavy_after(run, tmp_path) == needed


def test_a_create_from_an_image_file_loads_pillow_and_numpy_but_sends_nothing(
    tmp_path: Path,
) -> None:
    from PIL import Image

    Image.new("RGB", (64, 36), (200, 40, 40)).save(tmp_path / "cat.png")
    argv = ["create", "--model", "sora-2-image-to-video", "--prompt", "Go", "--image", "cat.png"]
    run = f"from freesora.cli.main import main\nassert main({[*argv, '--dry-run']!r}) == 0"
    assert heavy_after(run, tmp_path) == ["PIL", "numpy", "pydantic"]
