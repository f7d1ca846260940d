"""The Comfy Registry's view of the pack: what ComfyUI-Manager and `comfy node install` read.

The registry (comfy-cli's config parser) accepts `requires-comfyui` only as comma-separated
`[operator]major.minor.patch` parts and silently drops anything else; these tests keep the
field in that form, true to the cores the pack is tested on, and said the same in the README.
"""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
# The form comfy-cli's `validate_version` accepts for each comma-separated part.
REGISTRY_PART = re.compile(r"^(?:(==|>=|<=|!=|~=|>|<|<>|=)\s*)?(\d+\.\d+\.\d+(?:-[a-zA-Z0-9]+)?)?$")
# The cores tests/comfyui and tests/browser run on (the hosts named in docs/development.md).
TESTED_CORES = ("0.3.64", "0.28.2")


def _requires_comfyui() -> str:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    value = pyproject["tool"]["comfy"].get("requires-comfyui")
    assert isinstance(value, str), "[tool.comfy] requires-comfyui is missing"
    assert value.strip(), "[tool.comfy] requires-comfyui is empty"
    return value


def test_requires_comfyui_is_in_the_form_the_registry_keeps() -> None:
    parts = [part.strip() for part in _requires_comfyui().split(",")]
    assert all(REGISTRY_PART.match(part) for part in parts), parts


def test_requires_comfyui_admits_every_tested_core_and_nothing_older() -> None:
    spec = SpecifierSet(_requires_comfyui())
    assert all(spec.contains(core) for core in TESTED_CORES)
    assert not spec.contains("0.3.63"), "a core older than any the tests run on"


def test_the_readme_states_the_same_oldest_core() -> None:
    oldest = min(TESTED_CORES, key=lambda v: tuple(int(p) for p in v.split(".")))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"ComfyUI {oldest} or newer" in readme


def test_the_publish_workflow_publishes_from_pyproject_with_the_registry_key() -> None:
    workflow = (ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    assert "uses: Comfy-Org/publish-node-action@" in workflow
    assert "personal_access_token: ${{ secrets.REGISTRY_ACCESS_TOKEN }}" in workflow
    assert '- "pyproject.toml"' in workflow  # runs when the version can have changed
    assert '["project"]["version"]' in workflow  # and publishes only when it did
