"""The layout rules: the pure layer runs without ComfyUI, and only nodes/ touches ComfyUI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMFY_ONLY = {"comfy", "comfy_api", "comfy_extras", "comfy_execution", "server", "folder_paths"}
FORBIDDEN = COMFY_ONLY | {"torch"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def python_files_outside_nodes() -> list[Path]:
    skip = {"nodes", ".venv", "build", "comfyui"}
    return [
        path for path in ROOT.rglob("*.py") if not skip & set(path.relative_to(ROOT).parts[:-1])
    ]


@pytest.mark.parametrize(
    "path", python_files_outside_nodes(), ids=lambda p: str(p.relative_to(ROOT))
)
def test_only_nodes_may_import_comfyui_or_torch(path: Path) -> None:
    assert not imported_roots(path) & FORBIDDEN


def test_the_pack_imports_relatively_so_any_folder_name_works() -> None:
    """ComfyUI loads the folder under its path as module name: absolute self-imports break."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if ".venv" not in path.parts
        and "tests" not in path.parts
        and "benchmarks" not in path.parts
        and path.name not in ("dev.py", "run_freesora.py")
        and "freesora" in imported_roots(path)
    ]
    assert offenders == []


def test_importing_the_pack_loads_nothing_of_comfyui_or_torch() -> None:
    code = (
        "import sys, freesora, freesora.jobs, freesora.cli, freesora.sandbox;"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
    )
    assert out.stdout.strip() == "[]"


def test_the_registry_metadata_and_requirements_name_no_heavy_dependency() -> None:
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8").lower()
    names = {
        line.split(">")[0].split("=")[0].split("<")[0].strip()
        for line in requirements.splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert names == {"pydantic", "aiohttp", "pillow", "numpy"}
    assert "[tool.comfy]" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
